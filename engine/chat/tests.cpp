// Jinja's tests (`x is defined`, `x is string`, ...), with Jinja's answers for Python types:
// a bool is a number but not an integer; a string is iterable and a sequence; a dict is a
// sequence; Undefined is iterable.
#include <cctype>
#include <string_view>

#include "engine/chat/builtins.h"
#include "engine/chat/call_args.h"
#include "engine/chat/operators.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

using K = Value::Kind;

const Value& other(const char* name, const CallArgs& a) {
  if (a.positional.size() + a.keyword.size() != 1) template_fail("test '", name, "' takes one argument");
  return a.positional.empty() ? a.keyword[0].second : a.positional[0];
}
void none_expected(const char* name, const CallArgs& a) {
  if (!a.positional.empty() || !a.keyword.empty()) template_fail("test '", name, "' takes no arguments");
}

#define STRATA_TEST0(fn, name, expr)                      \
  bool fn(Renderer&, const Value& v, const CallArgs& a) { \
    none_expected(name, a);                               \
    return (expr);                                        \
  }
STRATA_TEST0(t_defined, "defined", !v.is_undefined())
STRATA_TEST0(t_undefined, "undefined", v.is_undefined())
STRATA_TEST0(t_none, "none", v.is_none())
STRATA_TEST0(t_boolean, "boolean", v.kind() == K::kBool)
STRATA_TEST0(t_false, "false", v.kind() == K::kBool && !v.as_bool())
STRATA_TEST0(t_true, "true", v.kind() == K::kBool && v.as_bool())
STRATA_TEST0(t_integer, "integer", v.kind() == K::kInt)
STRATA_TEST0(t_float, "float", v.kind() == K::kFloat)
STRATA_TEST0(t_number, "number", v.is_number())
STRATA_TEST0(t_string, "string", v.is_string())
STRATA_TEST0(t_mapping, "mapping", v.is_dict())
STRATA_TEST0(t_iterable, "iterable", v.is_undefined() || v.is_string() || v.is_list() || v.is_dict())
STRATA_TEST0(t_sequence, "sequence", v.is_string() || v.is_list() || v.is_dict())
STRATA_TEST0(t_callable, "callable", v.kind() == K::kCallable)
#undef STRATA_TEST0

// str(v).islower() / isupper(): at least one cased character, none of the other case.
bool case_test(const char* name, const Value& v, bool want_lower) {
  const std::string s = py_str(v);
  if (!is_ascii(s)) template_fail("test '", name, "' of non-ASCII text is not supported");
  bool cased = false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (want_lower ? std::isupper(u) : std::islower(u)) return false;
    cased = cased || std::isalpha(u);
  }
  return cased;
}
bool t_lower(Renderer&, const Value& v, const CallArgs& a) {
  none_expected("lower", a);
  return case_test("lower", v, true);
}
bool t_upper(Renderer&, const Value& v, const CallArgs& a) {
  none_expected("upper", a);
  return case_test("upper", v, false);
}

int64_t int_of(const char* name, const Value& v) {
  if (v.kind() != K::kInt && v.kind() != K::kBool)
    template_fail("test '", name, "' needs an integer, got ", v.type_name());
  return v.as_int();
}
bool t_odd(Renderer&, const Value& v, const CallArgs& a) {
  none_expected("odd", a);
  return int_of("odd", v) % 2 != 0;
}
bool t_even(Renderer&, const Value& v, const CallArgs& a) {
  none_expected("even", a);
  return int_of("even", v) % 2 == 0;
}
bool t_divisibleby(Renderer&, const Value& v, const CallArgs& a) {
  const int64_t d = int_of("divisibleby", other("divisibleby", a));
  if (d == 0) template_fail("integer division or modulo by zero");
  return int_of("divisibleby", v) % d == 0;
}
bool t_eq(Renderer&, const Value& v, const CallArgs& a) { return py_equal(v, other("eq", a)); }
bool t_ne(Renderer&, const Value& v, const CallArgs& a) { return !py_equal(v, other("ne", a)); }
bool t_lt(Renderer&, const Value& v, const CallArgs& a) { return compare_op("<", v, other("lt", a)); }
bool t_le(Renderer&, const Value& v, const CallArgs& a) { return compare_op("<=", v, other("le", a)); }
bool t_gt(Renderer&, const Value& v, const CallArgs& a) { return compare_op(">", v, other("gt", a)); }
bool t_ge(Renderer&, const Value& v, const CallArgs& a) { return compare_op(">=", v, other("ge", a)); }
bool t_in(Renderer&, const Value& v, const CallArgs& a) { return contains(other("in", a), v); }
bool t_sameas(Renderer&, const Value& v, const CallArgs& a) {
  // Python `is`: identity. Singletons (None, True, False) and shared containers compare equal;
  // equal numbers and strings are not reliably identical in Python, so those are refused.
  const Value& o = other("sameas", a);
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case K::kNone:
      return true;
    case K::kBool:
      return v.as_bool() == o.as_bool();
    case K::kList:
      return &v.items() == &o.items();
    case K::kDict:
      return &v.dict() == &o.dict();
    case K::kNamespace:
      return &v.ns() == &o.ns();
    default:
      template_fail("unsupported template construct 'sameas on a ", v.type_name(), "'");
  }
}

struct NamedTest {
  std::string_view name;
  TestFn fn;
};
constexpr NamedTest kTests[] = {
    {"defined", t_defined},
    {"undefined", t_undefined},
    {"none", t_none},
    {"boolean", t_boolean},
    {"false", t_false},
    {"true", t_true},
    {"integer", t_integer},
    {"float", t_float},
    {"number", t_number},
    {"string", t_string},
    {"mapping", t_mapping},
    {"iterable", t_iterable},
    {"sequence", t_sequence},
    {"callable", t_callable},
    {"lower", t_lower},
    {"upper", t_upper},
    {"odd", t_odd},
    {"even", t_even},
    {"divisibleby", t_divisibleby},
    {"eq", t_eq},
    {"equalto", t_eq},
    {"==", t_eq},
    {"ne", t_ne},
    {"!=", t_ne},
    {"lt", t_lt},
    {"lessthan", t_lt},
    {"<", t_lt},
    {"le", t_le},
    {"<=", t_le},
    {"gt", t_gt},
    {"greaterthan", t_gt},
    {">", t_gt},
    {"ge", t_ge},
    {">=", t_ge},
    {"in", t_in},
    {"sameas", t_sameas},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const auto& t : kTests) {
    if (t.name == name) return t.fn;
  }
  return nullptr;
}

}  // namespace strata::chat
