// Loads what a generation needs from a Hugging Face model directory: the OPT model and its
// tokenizer. Kept apart so every subcommand loads models the same way.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/models/opt/opt_model.h"
#include "engine/tokenizer/bpe_tokenizer.h"

namespace strata::cli {

struct LoadedTokenizer {
  OptConfig config;
  BpeTokenizer tokenizer;
  // [bos] + encode(text), as OPT's tokenizer does.
  std::vector<int32_t> prompt_ids(std::string_view text) const;
};

// config.json and the tokenizer files only (fast): enough to validate prompts.
LoadedTokenizer load_tokenizer(const std::filesystem::path& model_dir);
// Every weight (slow for big models).
std::unique_ptr<OptModel> load_model(const std::filesystem::path& model_dir);

}  // namespace strata::cli
