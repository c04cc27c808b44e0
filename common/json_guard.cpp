#include "common/json_guard.h"

#include "common/error.h"

namespace strata {

bool json_nesting_exceeds(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is, does not end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

void check_json_depth(std::string_view text, const std::string& where) {
  STRATA_CHECK_INPUT(!json_nesting_exceeds(text), where, ": JSON nested more than ",
                     kMaxJsonDepth, " levels deep");
}

std::string excerpt(std::string_view serialized, size_t max_chars) {
  if (serialized.size() <= max_chars) return std::string(serialized);
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(serialized[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return str_cat(serialized.substr(0, cut), "... (", serialized.size(), " characters)");
}

}  // namespace strata
