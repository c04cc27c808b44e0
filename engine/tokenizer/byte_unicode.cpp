#include "engine/tokenizer/byte_unicode.h"

#include <array>
#include <optional>

namespace strata {
namespace {

constexpr bool is_printable_byte(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

// byte -> code point, built exactly as bytes_to_unicode does.
constexpr std::array<char32_t, 256> make_byte_to_codepoint() {
  std::array<char32_t, 256> table{};
  char32_t next_extra = 256;
  for (int b = 0; b < 256; ++b) table[b] = is_printable_byte(b) ? char32_t(b) : next_extra++;
  return table;
}
constexpr std::array<char32_t, 256> kByteToCodepoint = make_byte_to_codepoint();
static_assert(kByteToCodepoint[' '] == 0x120 && kByteToCodepoint['\n'] == 0x10A);
static_assert(kByteToCodepoint[0xAD] == 0x143, "the last of the 68 remapped bytes");

// Code points 0..0x143 -> byte, -1 where a code point stands for no byte.
constexpr int kCodepointCount = 0x144;
constexpr std::array<int16_t, kCodepointCount> make_codepoint_to_byte() {
  std::array<int16_t, kCodepointCount> table{};
  for (auto& entry : table) entry = -1;
  for (int b = 0; b < 256; ++b) table[kByteToCodepoint[b]] = int16_t(b);
  return table;
}
constexpr std::array<int16_t, kCodepointCount> kCodepointToByte = make_codepoint_to_byte();

// Decodes one UTF-8 character at the front of `s`; returns its code point and length, or nullopt
// for an invalid sequence (vocab.json passed nlohmann's UTF-8 check, so that is only defensive).
std::optional<std::pair<char32_t, size_t>> next_codepoint(std::string_view s) {
  const auto b0 = uint8_t(s[0]);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > s.size()) return std::nullopt;
  char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    const auto b = uint8_t(s[i]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  return std::pair{cp, len};
}

}  // namespace

std::string byte_symbol(uint8_t byte) {
  const char32_t cp = kByteToCodepoint[byte];
  if (cp < 0x80) return std::string(1, char(cp));
  // Every symbol is below U+0800, so two UTF-8 bytes suffice.
  return {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
}

std::string symbols_to_bytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  while (!token.empty()) {
    const auto decoded = next_codepoint(token);
    if (!decoded) {  // keep a stray byte as it is
      out += token[0];
      token.remove_prefix(1);
      continue;
    }
    const auto [cp, len] = *decoded;
    if (cp < kCodepointCount && kCodepointToByte[cp] >= 0) {
      out += char(kCodepointToByte[cp]);
    } else {
      out += token.substr(0, len);
    }
    token.remove_prefix(len);
  }
  return out;
}

std::optional<std::string> symbols_only_to_bytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  while (!token.empty()) {
    const auto decoded = next_codepoint(token);
    if (!decoded) return std::nullopt;
    const auto [cp, len] = *decoded;
    if (cp >= kCodepointCount || kCodepointToByte[cp] < 0) return std::nullopt;
    out += char(kCodepointToByte[cp]);
    token.remove_prefix(len);
  }
  return out;
}

}  // namespace strata
