#include "common/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/hf_tokenizer.h"
#include "engine/tokenizer/sentencepiece_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata {

std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& model_dir) {
  std::error_code ignored;
  const auto exists = [&](const char* name) {
    return std::filesystem::is_regular_file(model_dir / name, ignored);
  };
  if (exists("tokenizer.json")) return std::make_shared<HfTokenizer>(model_dir / "tokenizer.json");
  if (exists("tokenizer.model")) {
    return std::make_shared<SentencePieceTokenizer>(model_dir / "tokenizer.model",
                                                    model_dir / "tokenizer_config.json");
  }
  if (exists("vocab.json") || exists("merges.txt")) {
    return std::make_shared<BpeTokenizer>(BpeTokenizer::load(model_dir));
  }
  fail_input(model_dir.string(),
             ": no tokenizer: expected tokenizer.json, tokenizer.model, or "
             "vocab.json with merges.txt");
}

}  // namespace strata
