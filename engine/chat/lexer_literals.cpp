#include "engine/chat/lexer_literals.h"

#include "engine/chat/template_error.h"
#include "engine/chat/text.h"

namespace strata::chat {

// A string literal's body, decoded as Jinja does: Python's unicode-escape over the literal
// (\n, \t, \\, \', \", \xhh, \uXXXX, \UXXXXXXXX, \ooo, ...), unknown escapes kept verbatim.
std::string decode_string_literal(const std::string& body, const std::string& origin, int line) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    auto hex = [&](int digits) {
      const std::string h = body.substr(i + 1, digits);
      if (h.size() != static_cast<size_t>(digits) ||
          h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        template_fail_at(origin, line, "truncated \\", c, " escape in a string literal");
      }
      i += digits;
      append_utf8(out, static_cast<char32_t>(std::stoul(h, nullptr, 16)));
    };
    switch (c) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case '\n':
        break;  // a backslash-newline continues the line
      case 'x':
        hex(2);
        break;
      case 'u':
        hex(4);
        break;
      case 'U':
        hex(8);
        break;
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k) {
            v = v * 8 + (body[++i] - '0');
          }
          append_utf8(out, static_cast<char32_t>(v));
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return out;
}

}  // namespace strata::chat
