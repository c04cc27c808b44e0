// Jinja's scalar and text filters, transformers' tojson, and the filter registry.
#include <cmath>
#include <string_view>
#include <utility>

#include "engine/chat/builtins.h"
#include "engine/chat/call_args.h"
#include "engine/chat/filters_seq.h"
#include "engine/chat/renderer.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

std::string ascii_only(const char* fn, const std::string& s) {
  if (!is_ascii(s))
    template_fail(fn, " of non-ASCII text is not supported (Python's Unicode case tables are not carried)");
  return s;
}

Value f_string(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("string", a, {});
  return Value(py_str(v));
}
Value f_trim(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("trim", a, {"chars"});
  if (b.has(0)) {
    const std::string chars = b.str(0, "");
    return Value(py_strip(py_str(v), StripSide::kBoth, &chars));
  }
  return Value(py_strip(py_str(v), StripSide::kBoth));
}
Value f_upper(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("upper", a, {});
  return Value(ascii_upper(ascii_only("upper", py_str(v))));
}
Value f_lower(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("lower", a, {});
  return Value(ascii_lower(ascii_only("lower", py_str(v))));
}
Value f_capitalize(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("capitalize", a, {});
  return Value(py_capitalize(ascii_only("capitalize", py_str(v))));
}
Value f_title(Renderer&, const Value& v, const CallArgs& a) {
  // Jinja's do_title (not str.title): words start after runs of [-\s({\[<]; each word is
  // upper-cased at its first character and lower-cased after.
  BoundArgs("title", a, {});
  const std::string s = ascii_only("title", py_str(v));
  std::string out;
  bool word_start = true;
  for (char c : s) {
    const bool sep = c == '-' || std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == '{' ||
                     c == '[' || c == '<';
    if (sep) {
      out += c;
      word_start = true;
    } else {
      out += static_cast<char>(word_start ? std::toupper(static_cast<unsigned char>(c))
                                          : std::tolower(static_cast<unsigned char>(c)));
      word_start = false;
    }
  }
  return Value(out);
}
Value f_replace(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("replace", a, {"old", "new", "count"});
  const std::string s = py_str(v), from = b.str(0, ""), to = b.str(1, "");
  return Value(py_replace(s, from, to, b.has(2) ? b.integer(2, -1) : -1));
}
Value f_default(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("default", a, {"default_value", "boolean"});
  const bool boolean = b.flag(1, false);
  if (v.is_undefined() || (boolean && !v.truthy())) return b.get_or(0, Value(""));
  return v;
}
Value f_tojson(Renderer&, const Value& v, const CallArgs& a) {
  // transformers' override: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
  // sort_keys=False) — no HTML escaping, keys in insertion order.
  BoundArgs b("tojson", a, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions o;
  o.ensure_ascii = b.flag(0, false);
  if (b.has(1)) {
    o.has_indent = true;
    const Value& ind = b.get(1);
    o.indent = ind.is_string() ? ind.str() : std::string(std::max<int64_t>(0, b.integer(1, 0)), ' ');
  }
  if (b.has(2)) {
    const Value& sep = b.get(2);
    if (!sep.is_list() || sep.items().size() != 2 || !sep.items()[0].is_string() ||
        !sep.items()[1].is_string()) {
      template_fail("tojson(): separators must be a pair of strings");
    }
    o.has_separators = true;
    o.item_separator = sep.items()[0].str();
    o.key_separator = sep.items()[1].str();
  }
  o.sort_keys = b.flag(3, false);
  return Value(py_json(v, o));
}
Value f_abs(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("abs", a, {});
  if (!v.is_number()) template_fail("bad operand type for abs(): '", v.type_name(), "'");
  return v.kind() == Value::Kind::kFloat ? Value(std::fabs(v.as_float()))
                                         : Value(static_cast<int64_t>(std::llabs(v.as_int())));
}
Value f_int(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("int", a, {"default", "base"});
  const Value dflt = b.get_or(0, Value(0));
  if (v.kind() == Value::Kind::kFloat) return Value(static_cast<int64_t>(v.as_float()));
  if (v.is_number()) return Value(v.as_int());
  if (v.is_string()) {
    const std::string s = py_strip(v.str(), StripSide::kBoth);
    try {
      size_t used = 0;
      const int64_t i = std::stoll(s, &used, static_cast<int>(b.integer(1, 10)));
      if (used == s.size()) return Value(i);
      const double f = std::stod(s, &used);  // Jinja falls back to int(float(s))
      if (used == s.size()) return Value(static_cast<int64_t>(f));
    } catch (const std::exception&) {
    }
  }
  return dflt;
}
Value f_float(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("float", a, {"default"});
  if (v.is_number()) return Value(v.as_float());
  if (v.is_string()) {
    const std::string s = py_strip(v.str(), StripSide::kBoth);
    try {
      size_t used = 0;
      const double f = std::stod(s, &used);
      if (used == s.size()) return Value(f);
    } catch (const std::exception&) {
    }
  }
  return b.get_or(0, Value(0.0));
}
Value f_round(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("round", a, {"precision", "method"});
  if (!v.is_number()) template_fail("round(): expected a number, got ", v.type_name());
  const int64_t precision = b.integer(0, 0);
  const std::string method = b.str(1, "common");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_float() * scale;
  // "common" is Python's round(): halves to even.
  const double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
  if (method != "common" && method != "ceil" && method != "floor")
    template_fail("round(): method must be common, ceil or floor");
  return Value(r / scale);
}
Value f_indent(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("indent", a, {"width", "first", "blank"});
  const Value& w = b.get_or(0, Value(4));
  const std::string pad = w.is_string() ? w.str() : std::string(std::max<int64_t>(0, b.integer(0, 4)), ' ');
  const bool first = b.flag(1, false), blank = b.flag(2, false);
  std::string s = py_str(v), out;
  // Jinja: lines after the first are indented (blank ones only with blank=True).
  size_t start = 0;
  bool is_first = true;
  while (true) {
    const size_t nl = s.find('\n', start);
    const std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    const bool indent_it = is_first ? first : (blank || !py_strip(line, StripSide::kBoth).empty());
    out += (indent_it ? pad : "") + line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    is_first = false;
  }
  return Value(out);
}
Value f_escape(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("escape", a, {});
  std::string out;
  for (char c : py_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value(out);
}
Value f_safe(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("safe", a, {});
  return Value(py_str(v));
}
Value f_attr(Renderer&, const Value& v, const CallArgs& a) {
  // Python getattr only: a dict's keys are items, not attributes (unlike `d.name`).
  BoundArgs b("attr", a, {"name"});
  const std::string name = b.str(0, "");
  if (v.is_undefined()) template_fail(v.undefined_reason());
  if (v.kind() == Value::Kind::kNamespace && v.ns().find(name)) return *v.ns().find(name);
  if (v.is_string() || v.is_list() || v.is_dict()) return method_of(v, name);
  return Value::undefined(str_cat("'", v.type_name(), " object' has no attribute '", name, "'"));
}

struct NamedFilter {
  std::string_view name;
  FilterFn fn;
};
constexpr NamedFilter kFilters[] = {
    {"abs", f_abs},
    {"attr", f_attr},
    {"capitalize", f_capitalize},
    {"count", filter_length},
    {"d", f_default},
    {"default", f_default},
    {"dictsort", filter_dictsort},
    {"e", f_escape},
    {"escape", f_escape},
    {"first", filter_first},
    {"float", f_float},
    {"indent", f_indent},
    {"int", f_int},
    {"items", filter_items},
    {"join", filter_join},
    {"last", filter_last},
    {"length", filter_length},
    {"list", filter_list},
    {"lower", f_lower},
    {"map", filter_map},
    {"max", filter_max},
    {"min", filter_min},
    {"reject", filter_reject},
    {"rejectattr", filter_rejectattr},
    {"replace", f_replace},
    {"reverse", filter_reverse},
    {"round", f_round},
    {"safe", f_safe},
    {"select", filter_select},
    {"selectattr", filter_selectattr},
    {"sort", filter_sort},
    {"string", f_string},
    {"sum", filter_sum},
    {"title", f_title},
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"unique", filter_unique},
    {"upper", f_upper},
};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const auto& f : kFilters) {
    if (f.name == name) return f.fn;
  }
  return nullptr;
}

}  // namespace strata::chat
