// A tokenizer read from tokenizer.json, the Hugging Face `tokenizers` format, independent of any
// vocab.json/merges.txt. encode follows HF's TokenizerImpl::encode for one sequence:
//   text -> added tokens (hf_added_tokens.h) -> normalizer (hf_normalizer.h) -> pre-tokenizer
//   (hf_pre_tokenizer.h) -> BPE model per word (hf_bpe_model.h) -> post-processor on request
//   (hf_post_processor.h);
// decode: ids -> token strings (added tokens as written, specials skipped on request, unknown ids
// and ids >= size dropped) -> decoder (hf_decoder.h) -> raw bytes.
//
// Text that is not valid UTF-8 is read as Python's bytes.decode("utf-8", "replace") would, since
// HF only takes str. "truncation" and "padding" are ignored: lengths are the caller's business.
// Immutable after load except the model's word cache (behind a mutex): thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/hf_added_tokens.h"
#include "engine/tokenizer/hf_bpe_model.h"
#include "engine/tokenizer/hf_decoder.h"
#include "engine/tokenizer/hf_normalizer.h"
#include "engine/tokenizer/hf_post_processor.h"
#include "engine/tokenizer/hf_pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata {

class HfTokenizer final : public Tokenizer {
 public:
  // Any problem with the file is an InputError: "<file>: <field>: <what>, supported: ...".
  explicit HfTokenizer(const std::filesystem::path& tokenizer_json);

  std::vector<int32_t> encode(std::string_view text, AddSpecialTokens add) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special = true) const override;
  size_t vocab_size() const override { return size_; }
  std::optional<int32_t> token_id(std::string_view token) const override;
  bool adds_special_tokens() const override { return post_processor_.adds_tokens(); }

 private:
  void encode_normalized(std::string_view text, bool at_text_start,
                         std::vector<int32_t>& ids) const;

  std::unique_ptr<const HfNormalizer> normalizer_;
  std::unique_ptr<const HfPreTokenizer> pre_tokenizer_;
  std::unique_ptr<const HfBpeModel> model_;
  HfAddedTokens added_;
  HfPostProcessor post_processor_;
  std::unique_ptr<const HfDecoder> decoder_;

  struct IdText {
    std::string text;  // what decode hands the decoder for this id
    bool present = false;
    bool special = false;
  };
  std::vector<IdText> id_texts_;  // by id
  size_t size_ = 0;
};

}  // namespace strata
