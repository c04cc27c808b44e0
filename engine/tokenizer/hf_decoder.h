// tokenizer.json's "decoder": turns the tokens of some ids back into text (HF decoders/*.rs,
// Decoder::decode_chain). Supported: ByteLevel (Llama 3, Qwen), Metaspace, Replace, ByteFallback,
// Fuse, Strip and Sequence of these (Llama 2 / Mistral: Replace("▁", " "), ByteFallback, Fuse,
// Strip(" ", 1, 0)).
//
// HF ends with String::from_utf8_lossy; here tokens stay raw bytes throughout, so that "<0xE6>"
// or a byte-level symbol that holds half a character decodes to exactly that byte and the
// caller can wait for the rest of the character.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/hf_json.h"

namespace strata {

class HfDecoder {
 public:
  virtual ~HfDecoder() = default;
  // tokens: each the text of one id (or of several, after a step that joins them), rewritten in
  // place; the decoded text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// nullptr for a null decoder (HF then joins the tokens with spaces); an unknown type is an
// InputError naming the field.
std::unique_ptr<const HfDecoder> parse_decoder(const JsonField& field);

}  // namespace strata
