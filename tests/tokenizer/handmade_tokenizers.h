// Small hand-made tokenizer.json files, each exercising a family of HF components that the real
// files leave out or use only one way. Tests write them into a TempDir and compare Strata with
// Hugging Face's tokenizers on them (reference_checks.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strata::test {

struct HandmadeTokenizer {
  std::string name;
  nlohmann::ordered_json json;
};

// Llama 2 / Mistral style: Sequence[Prepend("▁"), Replace(" ", "▁")] normalizer, no
// pre-tokenizer, BPE with byte_fallback and unk, merges as "a b" strings, TemplateProcessing
// "<s> $A", decoder Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)], and added
// tokens with lstrip/rstrip, single_word and normalized=true.
HandmadeTokenizer llama2_style_tokenizer();

// Metaspace pre-tokenizers (prepend_scheme first/always/never, split or not), unk with and
// without fuse_unk, no unk at all, merges as pairs, Bert/Template post-processors, Metaspace
// decoders.
std::vector<HandmadeTokenizer> metaspace_tokenizers();

// Byte-level files: NFKC + regex Replace normalizer, Split(the Llama 3 regex) + ByteLevel,
// ByteLevel with GPT-2's regex and a prefix space, ignore_merges, a merge table whose rank order
// differs from GPT-2's batched merging, Roberta/Template post-processors, no decoder, and Split
// with each delimiter behaviour, inverted, and with a literal pattern.
std::vector<HandmadeTokenizer> byte_level_tokenizers();

// Texts that hit the hand-made files' added tokens and merges.
std::vector<std::string> handmade_texts();

// The added tokens of the hand-made files, for token_id checks.
std::vector<std::string> handmade_tokens();

}  // namespace strata::test
