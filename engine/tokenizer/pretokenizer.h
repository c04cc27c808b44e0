// GPT-2's pre-tokenizer: splits text into the words that BPE then merges within (never across).
//
// The pattern is GPT-2's (openai/gpt-2 encoder.py), run by PCRE2 with Unicode properties:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// so a word keeps its leading space (" world"), and a whitespace run gives its last space to the
// word after it ("a   b" -> "a", "  ", " b").
// Text need not be valid UTF-8: a run of bytes that are not valid UTF-8 becomes a piece of its own,
// so the pieces always concatenate back to the whole text.
#pragma once

#include <string_view>
#include <vector>

namespace strata {

// The pieces are views into `text`, in order, non-empty, covering it exactly. Thread-safe.
std::vector<std::string_view> pretokenize(std::string_view text);

}  // namespace strata
