#include "cli/model_loading.h"

#include "common/error.h"

namespace strata::cli {

std::vector<int32_t> LoadedTokenizer::prompt_ids(std::string_view text) const {
  std::vector<int32_t> ids{config.bos_token_id};
  const std::vector<int32_t> body = tokenizer.encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

LoadedTokenizer load_tokenizer(const std::filesystem::path& model_dir) {
  STRATA_CHECK_INPUT(std::filesystem::is_directory(model_dir), model_dir.string(),
                     ": not a directory (expected a Hugging Face model directory)");
  OptConfig config = OptConfig::load(model_dir);
  return LoadedTokenizer{config, BpeTokenizer::load(model_dir)};
}

std::unique_ptr<OptModel> load_model(const std::filesystem::path& model_dir) {
  return std::make_unique<OptModel>(OptModel::load(model_dir));
}

}  // namespace strata::cli
