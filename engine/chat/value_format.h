// Values as text, the way Python prints them: str() for `{{ x }}` and `~`, repr() inside lists
// and dicts (`{{ ['a'] }}` prints "['a']"), and json.dumps() for transformers' tojson filter
// (ensure_ascii=False by default, insertion order kept, Python's separators and float repr).
#pragma once

#include <string>

#include "engine/chat/value.h"

namespace strata::chat {

std::string py_str(const Value& v);
std::string py_repr(const Value& v);
std::string py_float_repr(double f);

struct JsonOptions {
  bool ensure_ascii = false;  // transformers' default (Jinja's own tojson escapes; theirs not)
  std::string indent;         // empty with has_indent: newlines but no spaces, as Python
  bool has_indent = false;
  std::string item_separator;  // default: ", " without indent, "," with it
  std::string key_separator = ": ";
  bool has_separators = false;
  bool sort_keys = false;
};
// json.dumps(v, ...); throws TemplateFailure for values JSON cannot hold (undefined, macros).
std::string py_json(const Value& v, const JsonOptions& options);

}  // namespace strata::chat
