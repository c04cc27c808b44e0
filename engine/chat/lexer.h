// Splits a Jinja template into segments, applying Jinja's whitespace control as the text is cut,
// the way jinja2.lexer does with trim_blocks=True and lstrip_blocks=True (transformers' setting):
//   - `{%-`/`{{-`/`{#-` strip all whitespace before the tag, `-%}`/`-}}`/`-#}` all after it;
//   - lstrip_blocks: spaces and tabs between a line start and `{%` or `{#` are dropped
//     (not before `{{`; `{%+` keeps them);
//   - trim_blocks: the first newline after `%}` or `#}` is dropped (`+%}` keeps it);
//   - newlines are normalised to "\n" and one trailing newline of the source is dropped
//     (keep_trailing_newline=False);
//   - `{% raw %}...{% endraw %}` becomes text.
// Inside `{{ }}` and `{% %}` the expression is cut into tokens with their template line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::chat {

struct Token {
  enum class Type { kName, kString, kInt, kFloat, kOp, kEnd };
  Type type = Type::kEnd;
  std::string text;  // name, operator, or a string literal's decoded value
  int64_t int_value = 0;
  double float_value = 0;
  int line = 0;
};

struct Segment {
  enum class Type { kText, kOutput, kStatement };
  Type type = Type::kText;
  std::string text;           // kText
  std::vector<Token> tokens;  // kOutput / kStatement, ending in a kEnd token
  int line = 0;               // where the segment starts
};

// Throws InputError "ORIGIN:LINE: ..." for an unclosed tag, a bad literal or character.
std::vector<Segment> lex_template(const std::string& source, const std::string& origin);

}  // namespace strata::chat
