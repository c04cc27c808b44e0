// Python-compatible text helpers for the template engine: strings are UTF-8 bytes, but Python
// (and so Jinja) counts, slices and strips them by code point and treats Unicode whitespace
// (U+00A0, U+3000, ...) as whitespace. Chat templates apply these to user content, so the
// engine must match str.strip(), len() and s[a:b] exactly, not their byte-wise C++ cousins.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::chat {

// Code points of valid UTF-8 text. Callers only pass validated text (see is_valid_utf8).
std::u32string decode_utf8(std::string_view s);
std::string encode_utf8(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);
bool is_valid_utf8(std::string_view s);

// Python's str.isspace() for one code point.
bool is_py_space(char32_t c);

enum class StripSide { kBoth, kLeft, kRight };
// str.strip() / lstrip() / rstrip(): with chars == nullptr strips Python whitespace, otherwise
// every code point that occurs in *chars.
std::string py_strip(std::string_view s, StripSide side, const std::string* chars = nullptr);

// str.split(sep, maxsplit): sep == nullptr splits on runs of whitespace and drops empty parts.
std::vector<std::string> py_split(std::string_view s, const std::string* sep, long maxsplit);

// ASCII-only case mappings; true when s has no byte >= 0x80 (Python maps é -> É, which these
// cannot, so callers refuse non-ASCII input instead of silently diverging).
bool is_ascii(std::string_view s);
std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);
std::string py_title(std::string_view s);       // str.title() over ASCII
std::string py_capitalize(std::string_view s);  // str.capitalize() over ASCII

// str.replace(old, new, count) (count < 0: all). An empty `from` inserts `to` around every code
// point, as Python does.
std::string py_replace(const std::string& s, const std::string& from, const std::string& to,
                       int64_t count);

}  // namespace strata::chat
