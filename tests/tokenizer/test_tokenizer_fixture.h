// Helpers for the tokenizer tests: a temporary model folder with a small vocab.json/merges.txt.
//
// The vocab of write_tiny_model(): "<s>"=0, "<pad>"=1, "</s>"=2, "<unk>"=3 (as in OPT), then the
// 256 byte symbols in byte order (byte b has id 4 + b), then the extra tokens in order.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/byte_unicode.h"
#include "tests/engine/test_support.h"

namespace strata::test {

using TempDir = ut::TempDir;  // tests/engine/test_support.h

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), std::streamsize(content.size()));
}

constexpr int32_t kFirstByteId = 4;
inline int32_t byte_id(unsigned char b) { return kFirstByteId + b; }

// Tokens in id order: the specials (if wanted), the 256 byte symbols, then `extra`.
inline std::vector<std::string> tiny_tokens(const std::vector<std::string>& extra,
                                            bool with_specials = true) {
  std::vector<std::string> tokens;
  if (with_specials) tokens = {"<s>", "<pad>", "</s>", "<unk>"};
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_symbol(uint8_t(b)));
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  return tokens;
}

inline std::string vocab_json_text(const std::vector<std::string>& tokens) {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  return vocab.dump(1);  // one token per line, like HF's files
}

inline std::string merges_txt_text(const std::vector<std::string>& merges) {
  std::string text = "#version: 0.2\n";
  for (const std::string& merge : merges) text += merge + "\n";
  return text;
}

// Writes <dir>/vocab.json and <dir>/merges.txt. `merges` are "left right" lines in byte-symbol
// spelling ("Ġ" for a space); every merged result must be listed in `extra`.
inline void write_tiny_model(const std::filesystem::path& dir, const std::vector<std::string>& extra,
                             const std::vector<std::string>& merges, bool with_specials = true) {
  write_file(dir / "vocab.json", vocab_json_text(tiny_tokens(extra, with_specials)));
  write_file(dir / "merges.txt", merges_txt_text(merges));
}

}  // namespace strata::test
