// tokenizer.json's "post_processor" for one sequence (HF processors/*.rs): the special tokens
// that encode(text, AddSpecialTokens::yes) puts around the text's ids. Supported:
// TemplateProcessing (Llama 3: <|begin_of_text|> $A), BertProcessing and RobertaProcessing
// ([CLS] $A [SEP]), ByteLevel (only moves offsets, so nothing here) and Sequence of these.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tokenizer/hf_json.h"

namespace strata {

class HfPostProcessor {
 public:
  HfPostProcessor() = default;  // none: adds nothing
  explicit HfPostProcessor(const JsonField& field);

  // ids: the text's ids, wrapped in place.
  void apply(std::vector<int32_t>& ids) const;
  bool adds_tokens() const { return !before_.empty() || !after_.empty(); }

 private:
  void read(const JsonField& field);
  void read_template(const JsonField& field);

  std::vector<int32_t> before_;  // ids in front of the sequence
  std::vector<int32_t> after_;   // ids after it
};

}  // namespace strata
