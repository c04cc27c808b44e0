// tokenizer.json's "pre_tokenizer": cuts normalized text into the words that the BPE model then
// merges within, never across (HF pre_tokenizers/*.rs). Supported: Split (a literal or the file's
// own regex, through PCRE2), ByteLevel (GPT-2's byte-to-symbol alphabet, optionally with GPT-2's
// regex), Metaspace (SentencePiece-style "▁" words) and Sequence of these: Llama 3 and Qwen use
// Sequence[Split(regex), ByteLevel(use_regex=false)].
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/hf_json.h"

namespace strata {

struct PreToken {
  std::string text;  // valid UTF-8 (after ByteLevel: byte symbols)
  // Whether it starts where the encoded text starts: Metaspace's prepend_scheme "first" adds its
  // "▁" only there (HF: offsets_original().0 == 0).
  bool at_text_start = false;
};

class HfPreTokenizer {
 public:
  virtual ~HfPreTokenizer() = default;
  // Splits each piece in place; pieces that become empty are dropped, as HF does.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
};

// nullptr for a null pre_tokenizer (the whole normalized text is one word, as in Llama 2's file);
// an unknown type is an InputError naming the field.
std::unique_ptr<const HfPreTokenizer> parse_pre_tokenizer(const JsonField& field);

}  // namespace strata
