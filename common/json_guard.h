// Guards for JSON read from files and request lines that anyone may have written (issue 16,
// point 3): a nesting limit checked before parsing — a line nested 100k levels deep otherwise
// overflows the stack in the JSON library and in every recursive walk after it — and bounded
// excerpts of values for one-line error messages (a 5 MB prompt is not echoed back).
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Deeper than any real config, tokenizer, chat message or request (those stay under ~10).
constexpr int kMaxJsonDepth = 64;

// Whether `text` nests arrays and objects deeper than max_depth: one linear scan that skips
// strings (with their escapes) and does not recurse.
bool json_nesting_exceeds(std::string_view text, int max_depth = kMaxJsonDepth);

// InputError "WHERE: JSON nested more than 64 levels deep" when it does.
void check_json_depth(std::string_view text, const std::string& where);

// At most max_chars of a serialized value, "..." and the full length when cut.
std::string excerpt(std::string_view serialized, size_t max_chars = 80);

// The same of a JSON value (nlohmann's json or ordered_json).
template <typename Json>
std::string json_excerpt(const Json& value, size_t max_chars = 80) {
  return excerpt(value.dump(-1, ' ', false, Json::error_handler_t::replace), max_chars);
}

}  // namespace strata
