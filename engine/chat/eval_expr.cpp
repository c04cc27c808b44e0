// Renderer: expressions (renderer.cpp has the statements).
#include "engine/chat/builtins.h"
#include "engine/chat/operators.h"
#include "engine/chat/renderer.h"
#include "engine/chat/template_error.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

std::string object_name(const Value& v) {
  return v.is_none() ? std::string("None") : str_cat("'", v.type_name(), " object'");
}

}  // namespace

Value Renderer::eval(const Expr& e) {
  // Children set line_ to their own line and put it back, so a failure in this node's own
  // operation reports this node's line and one in a child the child's.
  const int saved = line_;
  line_ = e.line;
  Value v = eval_inner(e);
  line_ = saved;
  return v;
}

CallArgs Renderer::eval_args(const std::vector<Arg>& args) {
  CallArgs out;
  for (const auto& a : args) {
    if (a.name.empty()) {
      if (!out.keyword.empty()) template_fail("positional argument follows keyword argument");
      out.positional.push_back(eval(*a.value));
    } else {
      out.keyword.emplace_back(a.name, eval(*a.value));
    }
  }
  return out;
}

Value Renderer::eval_attr(const Value& obj, const std::string& name) {
  // Jinja's getattr: the Python attribute first (so d.items is the method), then obj[name].
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      template_fail(obj.undefined_reason());
    case Value::Kind::kDict: {
      Value m = method_of(obj, name);
      if (!m.is_undefined()) return m;
      if (const Value* v = obj.dict().find(name)) return *v;
      break;
    }
    case Value::Kind::kNamespace:
      if (const Value* v = obj.ns().find(name)) return *v;
      break;
    case Value::Kind::kString:
    case Value::Kind::kList:
      return method_of(obj, name);
    default:
      break;
  }
  return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

Value Renderer::eval_item(const Value& obj, const Value& key) {
  // Jinja's getitem: obj[key] first, then the attribute of that name for a string key.
  if (obj.is_undefined()) template_fail(obj.undefined_reason());
  if (obj.is_dict() && key.is_string()) {
    if (const Value* v = obj.dict().find(key.str())) return *v;
    return eval_attr(obj, key.str());
  }
  if ((obj.is_list() || obj.is_string()) && key.is_number() && key.kind() != Value::Kind::kFloat) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      const int64_t n = static_cast<int64_t>(obj.items().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.items()[i];
    } else {
      const std::u32string cps = decode_utf8(obj.str());
      const int64_t n = static_cast<int64_t>(cps.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value(encode_utf8(cps.substr(i, 1)));
    }
    return Value::undefined(object_name(obj) + " has no element " + std::to_string(key.as_int()));
  }
  if (key.is_string()) return eval_attr(obj, key.str());
  return Value::undefined(object_name(obj) + " has no element " + py_repr(key));
}

Value Renderer::eval_inner(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kName: {
      const Value* v = scope_->find(e.name);
      return v ? *v : Value::undefined(str_cat("'", e.name, "' is undefined"));
    }
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      ValueList items;
      for (const auto& o : e.operands) items.push_back(eval(*o));
      return Value::list(std::move(items), e.kind == Expr::Kind::kTuple);
    }
    case Expr::Kind::kDict: {
      Dict d;
      for (size_t i = 0; i + 1 < e.operands.size(); i += 2) {
        const Value k = eval(*e.operands[i]);
        if (!k.is_string())
          template_fail("unsupported template construct 'dict literal with a non-string key'");
        d.set(k.str(), eval(*e.operands[i + 1]));
      }
      return Value::dict(std::move(d));
    }
    case Expr::Kind::kAttr:
      return eval_attr(eval(*e.operands[0]), e.name);
    case Expr::Kind::kItem: {
      const Value obj = eval(*e.operands[0]);
      return eval_item(obj, eval(*e.operands[1]));
    }
    case Expr::Kind::kSlice: {
      const Value obj = eval(*e.operands[0]);
      auto part = [&](size_t i) { return e.operands[i] ? eval(*e.operands[i]) : Value::none(); };
      const Value start = part(1), stop = part(2), step = part(3);
      return py_slice(obj, start, stop, step);
    }
    case Expr::Kind::kCall: {
      const Value callee = eval(*e.operands[0]);
      return call(callee, eval_args(e.args));
    }
    case Expr::Kind::kFilter: {
      const Value input = eval(*e.operands[0]);
      return apply_filter(e.name, input, eval_args(e.args));
    }
    case Expr::Kind::kTest: {
      const Value input = eval(*e.operands[0]);
      return Value(apply_test(e.name, input, eval_args(e.args)) != e.negated);
    }
    case Expr::Kind::kUnary: {
      const Value v = eval(*e.operands[0]);
      if (e.name == "not") return Value(!v.truthy());
      if (v.is_undefined()) template_fail(v.undefined_reason());
      if (!v.is_number()) template_fail("bad operand type for unary ", e.name, ": '", v.type_name(), "'");
      if (e.name == "+") return v.kind() == Value::Kind::kFloat ? v : Value(v.as_int());
      return v.kind() == Value::Kind::kFloat ? Value(-v.as_float()) : Value(-v.as_int());
    }
    case Expr::Kind::kBinary: {
      const Value a = eval(*e.operands[0]);
      if (e.name == "and") return a.truthy() ? eval(*e.operands[1]) : a;
      if (e.name == "or") return a.truthy() ? a : eval(*e.operands[1]);
      const Value b = eval(*e.operands[1]);
      if (e.name == "~") return Value(py_str(a) + py_str(b));
      return binary_op(e.name, a, b);
    }
    case Expr::Kind::kCompare: {
      Value left = eval(*e.operands[0]);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.operands[i + 1]);
        if (!compare_op(e.ops[i], left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case Expr::Kind::kCond:
      if (eval(*e.operands[1]).truthy()) return eval(*e.operands[0]);
      if (e.operands[2]) return eval(*e.operands[2]);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
  }
  return Value();
}

}  // namespace strata::chat
