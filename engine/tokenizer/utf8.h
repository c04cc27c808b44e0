// UTF-8 helpers for the tokenizer.json and SentencePiece pipelines, which (like HF's, whose input
// is a Rust &str or Python str) work on valid UTF-8 only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

// `text` itself when it is valid UTF-8; otherwise a copy in `storage` with each maximal invalid
// subpart replaced by U+FFFD, as Python's bytes.decode("utf-8", "replace") does, and a view of
// that copy.
std::string_view valid_utf8(std::string_view text, std::string& storage);

// Length in bytes of the character that starts at s[pos] (s valid UTF-8, pos < s.size()).
inline size_t utf8_length_at(std::string_view s, size_t pos) {
  const auto b = static_cast<unsigned char>(s[pos]);
  return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

// The code point that starts at s[pos] (s valid UTF-8).
char32_t utf8_decode_at(std::string_view s, size_t pos);

void utf8_append(std::string& out, char32_t code_point);

}  // namespace strata
