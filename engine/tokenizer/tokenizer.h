// The tokenizer seen by the rest of Strata: text bytes -> ids and back, whatever files a model
// ships. Three implementations sit behind it (load_tokenizer picks one from the model folder):
//   - HfTokenizer (hf_tokenizer.h): tokenizer.json, the Hugging Face `tokenizers` format
//     (Llama 2/3, Mistral, Qwen, ...);
//   - SentencePieceTokenizer (sentencepiece_tokenizer.h): tokenizer.model alone;
//   - BpeTokenizer (bpe_tokenizer.h): GPT-2-style vocab.json + merges.txt (OPT).
// All const methods are thread-safe (internal caches sit behind a mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

enum class AddSpecialTokens { no, yes };

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // yes: apply the post-processor (tokenizer.json TemplateProcessing; SentencePiece: bos when
  // tokenizer_config add_bos_token, default true). vocab.json/merges.txt files have no
  // post-processor: yes == no.
  virtual std::vector<int32_t> encode(std::string_view text, AddSpecialTokens add) const = 0;
  // Raw bytes, possibly ending inside a UTF-8 character (the caller holds such a tail back).
  // Decoding a prefix of the ids gives a prefix of these bytes (for every decoder supported,
  // except a tokenizer.json Strip decoder with stop > 0, which no known model uses). Ids >= size
  // decode to nothing.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special = true) const = 0;
  // As HF's len(tokenizer): the model's tokens plus added tokens not among them.
  virtual size_t vocab_size() const = 0;
  virtual std::optional<int32_t> token_id(std::string_view token) const = 0;
  // Whether encode(yes) can differ from encode(no).
  virtual bool adds_special_tokens() const = 0;
};

// <dir>/tokenizer.json if present, else <dir>/tokenizer.model (SentencePiece), else vocab.json +
// merges.txt (BpeTokenizer). Any problem is a strata::InputError naming the file (and field);
// a folder with none of these names all three.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

}  // namespace strata
