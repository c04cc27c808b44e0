// tokenizer.json's "normalizer": rewrites each stretch of text between added tokens before it is
// pre-tokenized (HF normalizers/*.rs). Supported: NFC, NFD, NFKC, NFKD (through ICU), Prepend,
// Replace (a literal or a regex) and Sequence of these, which covers Qwen (NFC) and the Llama 2 /
// Mistral files (Sequence[Prepend("▁"), Replace(" ", "▁")]).
#pragma once

#include <memory>
#include <string>

#include "engine/tokenizer/hf_json.h"

namespace strata {

class HfNormalizer {
 public:
  virtual ~HfNormalizer() = default;
  // text: valid UTF-8, normalized in place.
  virtual void normalize(std::string& text) const = 0;
};

// nullptr for a null normalizer; an unknown type is an InputError naming the field.
std::unique_ptr<const HfNormalizer> parse_normalizer(const JsonField& field);

}  // namespace strata
