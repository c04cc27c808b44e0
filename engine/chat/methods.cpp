// Python methods templates call on values: str (strip, split, startswith, ...), dict (items,
// keys, values, get). Lists expose none: transformers renders in an immutable sandbox, where
// append/pop/update are refused, so real templates do not call them.
#include <set>

#include "engine/chat/builtins.h"
#include "engine/chat/call_args.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

using Method = Value (*)(const Value& self, const CallArgs& a);

std::string opt_chars(const BoundArgs& b, size_t i, const std::string** chars, std::string* store) {
  if (b.has(i)) {
    *store = b.str(i, "");
    *chars = store;
  }
  return {};
}

Value strip_impl(const char* name, StripSide side, const Value& self, const CallArgs& a) {
  BoundArgs b(name, a, {"chars"});
  const std::string* chars = nullptr;
  std::string store;
  opt_chars(b, 0, &chars, &store);
  return Value(py_strip(self.str(), side, chars));
}
Value m_strip(const Value& s, const CallArgs& a) { return strip_impl("strip", StripSide::kBoth, s, a); }
Value m_lstrip(const Value& s, const CallArgs& a) { return strip_impl("lstrip", StripSide::kLeft, s, a); }
Value m_rstrip(const Value& s, const CallArgs& a) { return strip_impl("rstrip", StripSide::kRight, s, a); }

Value m_split(const Value& self, const CallArgs& a) {
  BoundArgs b("split", a, {"sep", "maxsplit"});
  const std::string* sep = nullptr;
  std::string store;
  opt_chars(b, 0, &sep, &store);
  if (sep && sep->empty()) template_fail("empty separator");
  ValueList out;
  for (auto& part : py_split(self.str(), sep, b.integer(1, -1))) out.emplace_back(std::move(part));
  return Value::list(std::move(out));
}

bool affix_match(const char* name, const Value& self, const CallArgs& a, bool prefix) {
  BoundArgs b(name, a, {"affix"});
  const Value& affix = b.get(0);
  ValueList options = affix.is_list() ? affix.items() : ValueList{affix};
  for (const auto& o : options) {
    if (!o.is_string()) template_fail(name, "() arg must be str or a tuple of str, not ", o.type_name());
    const std::string& s = self.str();
    const std::string& x = o.str();
    if (x.size() <= s.size() &&
        (prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0)) {
      return true;
    }
  }
  return false;
}
Value m_startswith(const Value& s, const CallArgs& a) { return Value(affix_match("startswith", s, a, true)); }
Value m_endswith(const Value& s, const CallArgs& a) { return Value(affix_match("endswith", s, a, false)); }

std::string ascii_text(const char* name, const Value& self) {
  if (!is_ascii(self.str()))
    template_fail("str.", name,
                  "() of non-ASCII text is not supported (Python's Unicode case tables are not carried)");
  return self.str();
}
Value m_upper(const Value& s, const CallArgs& a) {
  BoundArgs("upper", a, {});
  return Value(ascii_upper(ascii_text("upper", s)));
}
Value m_lower(const Value& s, const CallArgs& a) {
  BoundArgs("lower", a, {});
  return Value(ascii_lower(ascii_text("lower", s)));
}
Value m_title(const Value& s, const CallArgs& a) {
  BoundArgs("title", a, {});
  return Value(py_title(ascii_text("title", s)));
}
Value m_capitalize(const Value& s, const CallArgs& a) {
  BoundArgs("capitalize", a, {});
  return Value(py_capitalize(ascii_text("capitalize", s)));
}

Value m_replace(const Value& self, const CallArgs& a) {
  BoundArgs b("replace", a, {"old", "new", "count"});
  const std::string from = b.str(0, ""), to = b.str(1, "");
  if (from.empty()) template_fail("unsupported template construct 'str.replace with an empty pattern'");
  return Value(py_replace(self.str(), from, to, b.integer(2, -1)));
}

// Code point index of a byte offset (find() answers in characters, as Python does).
int64_t cp_index(const std::string& s, size_t byte) {
  return byte == std::string::npos
             ? -1
             : static_cast<int64_t>(decode_utf8(std::string_view(s).substr(0, byte)).size());
}
Value m_find(const Value& self, const CallArgs& a) {
  BoundArgs b("find", a, {"sub"});
  return Value(cp_index(self.str(), self.str().find(b.str(0, ""))));
}
Value m_rfind(const Value& self, const CallArgs& a) {
  BoundArgs b("rfind", a, {"sub"});
  return Value(cp_index(self.str(), self.str().rfind(b.str(0, ""))));
}
Value m_count(const Value& self, const CallArgs& a) {
  BoundArgs b("count", a, {"sub"});
  const std::string sub = b.str(0, "");
  if (sub.empty()) return Value(static_cast<int64_t>(decode_utf8(self.str()).size()) + 1);
  int64_t n = 0;
  for (size_t p = self.str().find(sub); p != std::string::npos; p = self.str().find(sub, p + sub.size())) ++n;
  return Value(n);
}
Value m_join(const Value& self, const CallArgs& a) {
  BoundArgs b("join", a, {"iterable"});
  std::string out;
  bool first = true;
  for (const auto& item : b.get(0).is_list() ? b.get(0).items() : ValueList{}) {
    if (!item.is_string())
      template_fail("sequence item: expected str instance, ", item.type_name(), " found");
    if (!first) out += self.str();
    out += item.str();
    first = false;
  }
  return Value(out);
}
Value m_splitlines(const Value& self, const CallArgs& a) {
  BoundArgs("splitlines", a, {});
  ValueList out;
  const std::string& s = self.str();
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      out.emplace_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) out.emplace_back(s.substr(start));
  return Value::list(std::move(out));
}

Value m_items(const Value& self, const CallArgs& a) {
  BoundArgs("items", a, {});
  ValueList pairs;
  for (const auto& [k, v] : self.dict().items) pairs.push_back(Value::list({Value(k), v}, true));
  return Value::list(std::move(pairs));
}
Value m_keys(const Value& self, const CallArgs& a) {
  BoundArgs("keys", a, {});
  ValueList keys;
  for (const auto& [k, _] : self.dict().items) keys.emplace_back(k);
  return Value::list(std::move(keys));
}
Value m_values(const Value& self, const CallArgs& a) {
  BoundArgs("values", a, {});
  ValueList values;
  for (const auto& [_, v] : self.dict().items) values.push_back(v);
  return Value::list(std::move(values));
}
Value m_get(const Value& self, const CallArgs& a) {
  BoundArgs b("get", a, {"key", "default"});
  const Value& key = b.get(0);
  const Value* hit = key.is_string() ? self.dict().find(key.str()) : nullptr;
  return hit ? *hit : b.get_or(1, Value::none());
}

struct NamedMethod {
  std::string_view name;
  Method fn;
};
constexpr NamedMethod kStrMethods[] = {
    {"strip", m_strip},           {"lstrip", m_lstrip},         {"rstrip", m_rstrip},
    {"split", m_split},           {"startswith", m_startswith}, {"endswith", m_endswith},
    {"upper", m_upper},           {"lower", m_lower},           {"title", m_title},
    {"capitalize", m_capitalize}, {"replace", m_replace},       {"find", m_find},
    {"rfind", m_rfind},           {"count", m_count},           {"join", m_join},
    {"splitlines", m_splitlines},
};
constexpr NamedMethod kDictMethods[] = {
    {"items", m_items},
    {"keys", m_keys},
    {"values", m_values},
    {"get", m_get},
};

// Real Python methods this engine does not implement, per type: calling one is an
// "unsupported" error rather than the "has no attribute" a misspelt name gets. (For a dict these
// names are Python attributes, so Jinja too finds them before a key of the same name.)
const std::set<std::string_view> kStrUnsupported = {
    "format",  "rsplit",   "partition",    "rpartition",   "zfill",     "center",    "ljust",
    "rjust",   "casefold", "swapcase",     "expandtabs",   "index",     "rindex",    "isdigit",
    "isalpha", "isalnum",  "isspace",      "islower",      "isupper",   "isnumeric", "isdecimal",
    "istitle", "encode",   "removeprefix", "removesuffix", "translate", "format_map"};
const std::set<std::string_view> kListUnsupported = {
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "copy", "index", "count"};
const std::set<std::string_view> kDictUnsupported = {"update", "pop",  "popitem", "setdefault",
                                                     "clear",  "copy", "fromkeys"};

}  // namespace

Value method_of(const Value& self, const std::string& name) {
  auto bind = [&](Method m) {
    return Value::callable(str_cat(self.type_name(), ".", name),
                           [self, m](Renderer&, const CallArgs& a) { return m(self, a); });
  };
  if (self.is_string()) {
    for (const auto& m : kStrMethods) {
      if (m.name == name) return bind(m.fn);
    }
  } else if (self.is_dict()) {
    for (const auto& m : kDictMethods) {
      if (m.name == name) return bind(m.fn);
    }
  }
  const auto& unsupported = self.is_string() ? kStrUnsupported
                            : self.is_list() ? kListUnsupported
                                             : kDictUnsupported;
  if ((self.is_string() || self.is_list() || self.is_dict()) && unsupported.count(name)) {
    const std::string what = str_cat(self.type_name(), ".", name);
    return Value::callable(what, [what](Renderer&, const CallArgs&) -> Value {
      template_fail("unsupported template construct '", what, "()'");
    });
  }
  return Value::undefined(str_cat("'", self.type_name(), " object' has no attribute '", name, "'"));
}

}  // namespace strata::chat
