// Runs the independent tokenizer references of tests/reference from a test:
//   - hf_tokenizers_reference.js: Hugging Face's tokenizers (Rust core, npm package `tokenizers`)
//     on a tokenizer.json;
//   - sentencepiece_reference.py: python3-sentencepiece, which also trains the test's models.
// Requests and responses travel as JSON files in a TempDir. A missing reference (npm packages not
// installed, node or python3-sentencepiece absent) fails the test with what to run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace strata::test {

// tests/reference in the source tree.
std::filesystem::path reference_dir();

// The folder of tokenizer.json + tokenizer_config.json shipped by an @lenml npm package
// ("tokenizer-llama3_1"); REQUIREs that it is installed.
std::filesystem::path lenml_model_dir(const std::string& package);

// Runs `command` through the shell; REQUIREs exit status 0, with its output in the message.
void run_or_fail(const std::string& command);

struct HfReference {
  struct Encoding {
    std::vector<int32_t> no;   // add_special_tokens=False
    std::vector<int32_t> yes;  // add_special_tokens=True
  };
  struct Decoded {
    std::string skip;  // skip_special_tokens=True
    std::string keep;  // skip_special_tokens=False
  };
  size_t vocab_size = 0;
  std::vector<Encoding> encodings;                // one per text
  std::vector<Decoded> decoded;                   // one per id list
  std::vector<std::optional<int32_t>> token_ids;  // one per token
};

// texts: raw bytes (not necessarily valid UTF-8).
HfReference run_hf_reference(const std::filesystem::path& tokenizer_json,
                             const std::vector<std::string>& texts,
                             const std::vector<std::vector<int32_t>>& decode = {},
                             const std::vector<std::string>& tokens = {});

// Runs tests/reference/sentencepiece_reference.py with `args` and a request; returns its response.
nlohmann::json run_sentencepiece_reference(const std::string& args, const nlohmann::json& request);

std::string base64(std::string_view bytes);

}  // namespace strata::test
