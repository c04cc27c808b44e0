// Jinja string literals: the body between the quotes decoded with Python's unicode-escape rules
// (jinja2.lexer: value.encode("ascii", "backslashreplace").decode("unicode-escape")).
#pragma once

#include <string>

namespace strata::chat {

// Throws InputError "ORIGIN:LINE: ..." for a truncated \x, \u or \U escape.
std::string decode_string_literal(const std::string& body, const std::string& origin, int line);

}  // namespace strata::chat
