#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

// Length of the valid character at s[pos], or 0 when it is not one; `*subpart` receives the
// length of the maximal subpart to replace (Unicode 15, §3.9 "U+FFFD Substitution of Maximal
// Subparts": the longest prefix that could still start a valid sequence, at least 1 byte).
size_t valid_length_at(std::string_view s, size_t pos, size_t* subpart) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  *subpart = 1;
  if (b0 < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Table 3-7)
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t i = 1; i < len; ++i) {
    if (pos + i >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    *subpart = i + 1;
  }
  return len;
}

}  // namespace

std::string_view valid_utf8(std::string_view text, std::string& storage) {
  size_t pos = 0, subpart = 0;
  while (pos < text.size()) {
    const size_t len = valid_length_at(text, pos, &subpart);
    if (len == 0) break;
    pos += len;
  }
  if (pos == text.size()) return text;
  storage.assign(text.substr(0, pos));
  while (pos < text.size()) {
    const size_t len = valid_length_at(text, pos, &subpart);
    if (len == 0) {
      storage += "\xEF\xBF\xBD";
      pos += subpart;
    } else {
      storage.append(text.substr(pos, len));
      pos += len;
    }
  }
  return storage;
}

char32_t utf8_decode_at(std::string_view s, size_t pos) {
  const size_t len = utf8_length_at(s, pos);
  const auto b0 = static_cast<unsigned char>(s[pos]);
  char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

}  // namespace strata
