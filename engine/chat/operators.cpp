#include "engine/chat/operators.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "engine/chat/template_error.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

[[noreturn]] void unsupported_operands(const std::string& op, const Value& a, const Value& b) {
  template_fail("unsupported operand type(s) for ", op, ": '", a.type_name(), "' and '", b.type_name(), "'");
}

void check_defined(const Value& v) {
  if (v.is_undefined()) template_fail(v.undefined_reason());
}

bool both_int(const Value& a, const Value& b) {
  return a.kind() != Value::Kind::kFloat && b.kind() != Value::Kind::kFloat;
}

Value repeat(const Value& seq, int64_t n) {
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value(out);
  }
  ValueList out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return Value::list(std::move(out), seq.is_tuple());
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  check_defined(a);
  check_defined(b);
  const bool nums = a.is_number() && b.is_number();
  if (op == "+") {
    if (nums) return both_int(a, b) ? Value(a.as_int() + b.as_int()) : Value(a.as_float() + b.as_float());
    if (a.is_string() && b.is_string()) return Value(a.str() + b.str());
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      ValueList out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(out), a.is_tuple());
    }
    if (a.is_string()) template_fail("can only concatenate str (not \"", b.type_name(), "\") to str");
    unsupported_operands(op, a, b);
  }
  if (op == "-") {
    if (!nums) unsupported_operands(op, a, b);
    return both_int(a, b) ? Value(a.as_int() - b.as_int()) : Value(a.as_float() - b.as_float());
  }
  if (op == "*") {
    if (nums) return both_int(a, b) ? Value(a.as_int() * b.as_int()) : Value(a.as_float() * b.as_float());
    const bool a_int = a.is_number() && a.kind() != Value::Kind::kFloat;
    const bool b_int = b.is_number() && b.kind() != Value::Kind::kFloat;
    if ((a.is_string() || a.is_list()) && b_int) return repeat(a, b.as_int());
    if ((b.is_string() || b.is_list()) && a_int) return repeat(b, a.as_int());
    unsupported_operands(op, a, b);
  }
  if (!nums) {
    if (op == "%" && a.is_string()) template_fail("unsupported template construct 'printf-style str % args'");
    unsupported_operands(op, a, b);
  }
  if (op == "/") {
    if (b.as_float() == 0) template_fail("division by zero");
    return Value(a.as_float() / b.as_float());
  }
  if (op == "//" || op == "%") {
    if (b.as_float() == 0)
      template_fail(op == "//" ? "integer division or modulo by zero" : "modulo by zero");
    if (both_int(a, b)) {
      const int64_t q = floor_div(a.as_int(), b.as_int());
      return op == "//" ? Value(q) : Value(a.as_int() - q * b.as_int());
    }
    const double q = std::floor(a.as_float() / b.as_float());
    if (op == "//") return Value(q);
    double m = std::fmod(a.as_float(), b.as_float());
    if (m != 0 && ((m < 0) != (b.as_float() < 0))) m += b.as_float();
    return Value(m);
  }
  if (op == "**") {
    if (both_int(a, b) && b.as_int() >= 0) {
      int64_t r = 1;
      for (int64_t i = 0; i < b.as_int(); ++i) r *= a.as_int();
      return Value(r);
    }
    return Value(std::pow(a.as_float(), b.as_float()));
  }
  template_fail("unknown operator ", op);
}

bool py_less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.as_float() < b.as_float();
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 byte order = code point order
  if (a.is_list() && b.is_list()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!py_equal(x[i], y[i])) return py_less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  check_defined(a);
  check_defined(b);
  template_fail("'<' not supported between instances of '", a.type_name(), "' and '", b.type_name(), "'");
}

bool compare_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return py_equal(a, b);
  if (op == "!=") return !py_equal(a, b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  check_defined(a);
  check_defined(b);
  if (op == "<") return py_less(a, b);
  if (op == ">") return py_less(b, a);
  if (op == "<=") return !py_less(b, a);
  if (op == ">=") return !py_less(a, b);
  template_fail("unknown comparison ", op);
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;  // Undefined iterates as empty
    case Value::Kind::kString:
      if (!item.is_string()) {
        template_fail("'in <string>' requires string as left operand, not ", item.type_name());
      }
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::kList:
      for (const auto& v : container.items()) {
        if (py_equal(v, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      return item.is_string() && container.dict().find(item.str()) != nullptr;
    default:
      template_fail("argument of type '", container.type_name(), "' is not iterable");
  }
}

Value py_slice(const Value& v, const Value& start, const Value& stop, const Value& step) {
  auto as_index = [](const Value& x, const char* what) -> std::optional<int64_t> {
    if (x.is_none() || x.is_undefined()) return std::nullopt;
    if (!x.is_number() || x.kind() == Value::Kind::kFloat) {
      template_fail("slice ", what, " must be an integer or None, got ", x.type_name());
    }
    return x.as_int();
  };
  const int64_t st = as_index(step, "step").value_or(1);
  if (st == 0) template_fail("slice step cannot be zero");
  std::u32string cps;
  int64_t n;
  if (v.is_string()) {
    cps = decode_utf8(v.str());
    n = static_cast<int64_t>(cps.size());
  } else if (v.is_list()) {
    n = static_cast<int64_t>(v.items().size());
  } else {
    check_defined(v);
    template_fail("'", v.type_name(), "' object is not subscriptable");
  }
  // CPython's PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> i, int64_t dflt) {
    if (!i) return dflt;
    int64_t x = *i;
    if (x < 0)
      x = std::max<int64_t>(x + n, st < 0 ? -1 : 0);
    else if (x > n)
      x = st < 0 ? n - 1 : n;
    return x;
  };
  const int64_t b = adjust(as_index(start, "start"), st < 0 ? n - 1 : 0);
  const int64_t e = adjust(as_index(stop, "stop"), st < 0 ? -1 : n);
  ValueList items;
  std::u32string chars;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    if (v.is_string())
      chars.push_back(cps[i]);
    else
      items.push_back(v.items()[i]);
  }
  if (v.is_string()) return Value(encode_utf8(chars));
  return Value::list(std::move(items), v.is_tuple());
}

}  // namespace strata::chat
