#include "engine/chat/parser_expr.h"

#include <cstring>

#include "engine/chat/builtins.h"
#include "engine/chat/template_error.h"

namespace strata::chat {

ExprPtr ExprParser::binary(std::string op, ExprPtr a, ExprPtr b, int line) {
  auto e = make_expr(Expr::Kind::kBinary, line);
  e->name = std::move(op);
  e->operands.push_back(std::move(a));
  e->operands.push_back(std::move(b));
  return e;
}

ExprPtr ExprParser::expression(bool with_condexpr) {
  if (!with_condexpr) return parse_or();
  ExprPtr node = parse_or();
  while (ts_.is_name("if")) {
    const int line = ts_.next().line;
    auto cond = make_expr(Expr::Kind::kCond, line);
    ExprPtr test = parse_or();
    ExprPtr otherwise = ts_.skip_name("else") ? expression(true) : nullptr;
    cond->operands.push_back(std::move(node));
    cond->operands.push_back(std::move(test));
    cond->operands.push_back(std::move(otherwise));
    node = std::move(cond);
  }
  return node;
}

ExprPtr ExprParser::tuple(bool with_condexpr) {
  const int line = ts_.peek().line;
  ExprPtr first = expression(with_condexpr);
  if (!ts_.is_op(",")) return first;
  auto t = make_expr(Expr::Kind::kTuple, line);
  t->operands.push_back(std::move(first));
  while (ts_.skip_op(",")) {
    if (ts_.at_end() || ts_.is_op(")") || ts_.is_op("=") || ts_.is_name("recursive")) break;
    t->operands.push_back(expression(with_condexpr));
  }
  return t;
}

std::vector<std::string> ExprParser::targets(std::string* attr, bool with_attr) {
  std::vector<std::string> names;
  const bool paren = ts_.skip_op("(");
  do {
    if (paren && ts_.is_op(")")) break;
    names.push_back(ts_.expect_name());
    if (with_attr && names.size() == 1 && ts_.is_op(".")) {
      ts_.next();
      *attr = ts_.expect_name();
      return names;
    }
  } while (ts_.skip_op(","));
  if (paren) ts_.expect_op(")");
  return names;
}

ExprPtr ExprParser::parse_or() {
  ExprPtr node = parse_and();
  while (ts_.is_name("or")) {
    const int line = ts_.next().line;
    node = binary("or", std::move(node), parse_and(), line);
  }
  return node;
}

ExprPtr ExprParser::parse_and() {
  ExprPtr node = parse_not();
  while (ts_.is_name("and")) {
    const int line = ts_.next().line;
    node = binary("and", std::move(node), parse_not(), line);
  }
  return node;
}

ExprPtr ExprParser::parse_not() {
  if (ts_.is_name("not")) {
    auto e = make_expr(Expr::Kind::kUnary, ts_.next().line);
    e->name = "not";
    e->operands.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr ExprParser::parse_compare() {
  const int line = ts_.peek().line;
  ExprPtr first = parse_math1();
  ExprPtr cmp;
  while (true) {
    std::string op;
    for (const char* o : {"==", "!=", "<", "<=", ">", ">="}) {
      if (ts_.is_op(o)) op = o;
    }
    if (!op.empty()) {
      ts_.next();
    } else if (ts_.is_name("in")) {
      ts_.next();
      op = "in";
    } else if (ts_.is_name("not") && ts_.is_name("in", 1)) {
      ts_.next();
      ts_.next();
      op = "not in";
    } else {
      break;
    }
    if (!cmp) {
      cmp = make_expr(Expr::Kind::kCompare, line);
      cmp->operands.push_back(std::move(first));
    }
    cmp->ops.push_back(op);
    cmp->operands.push_back(parse_math1());
  }
  return cmp ? std::move(cmp) : std::move(first);
}

ExprPtr ExprParser::parse_math1() {
  ExprPtr node = parse_concat();
  while (ts_.is_op("+") || ts_.is_op("-")) {
    const Token op = ts_.next();
    node = binary(op.text, std::move(node), parse_concat(), op.line);
  }
  return node;
}

ExprPtr ExprParser::parse_concat() {
  ExprPtr node = parse_math2();
  while (ts_.is_op("~")) {
    const int line = ts_.next().line;
    node = binary("~", std::move(node), parse_math2(), line);
  }
  return node;
}

ExprPtr ExprParser::parse_math2() {
  ExprPtr node = parse_pow();
  while (ts_.is_op("*") || ts_.is_op("/") || ts_.is_op("//") || ts_.is_op("%")) {
    const Token op = ts_.next();
    node = binary(op.text, std::move(node), parse_pow(), op.line);
  }
  return node;
}

ExprPtr ExprParser::parse_pow() {
  // Jinja's ** is left-associative (2 ** 3 ** 2 == 64), unlike Python's.
  ExprPtr node = parse_unary(true);
  while (ts_.is_op("**")) {
    const int line = ts_.next().line;
    node = binary("**", std::move(node), parse_unary(true), line);
  }
  return node;
}

ExprPtr ExprParser::parse_unary(bool with_filter) {
  // Every nesting ((..), [..], -x, calls) passes through here; 200 is far beyond real templates.
  struct DepthGuard {
    int& d;
    ~DepthGuard() { --d; }
  } guard{++depth_};
  if (depth_ > 200) template_fail_at(ts_.origin(), ts_.peek().line, "expression nested too deeply");
  ExprPtr node;
  if (ts_.is_op("-") || ts_.is_op("+")) {
    const Token op = ts_.next();
    node = make_expr(Expr::Kind::kUnary, op.line);
    node->name = op.text;
    node->operands.push_back(parse_unary(false));
  } else {
    node = parse_primary();
  }
  node = parse_postfix(std::move(node));
  return with_filter ? parse_filter_expr(std::move(node)) : std::move(node);
}

ExprPtr ExprParser::parse_primary() {
  const Token t = ts_.peek();
  switch (t.type) {
    case Token::Type::kName: {
      ts_.next();
      if (t.text == "true" || t.text == "True") return make_literal(Value(true), t.line);
      if (t.text == "false" || t.text == "False") return make_literal(Value(false), t.line);
      if (t.text == "none" || t.text == "None") return make_literal(Value::none(), t.line);
      auto e = make_expr(Expr::Kind::kName, t.line);
      e->name = t.text;
      return e;
    }
    case Token::Type::kString: {
      std::string s;
      while (ts_.peek().type == Token::Type::kString) s += ts_.next().text;  // 'a' 'b' == 'ab'
      return make_literal(Value(std::move(s)), t.line);
    }
    case Token::Type::kInt:
      ts_.next();
      return make_literal(Value(t.int_value), t.line);
    case Token::Type::kFloat:
      ts_.next();
      return make_literal(Value(t.float_value), t.line);
    default:
      break;
  }
  if (ts_.skip_op("(")) {
    if (ts_.skip_op(")")) return make_expr(Expr::Kind::kTuple, t.line);
    ExprPtr first = expression();
    if (ts_.skip_op(")")) return first;
    auto tup = make_expr(Expr::Kind::kTuple, t.line);
    tup->operands.push_back(std::move(first));
    while (ts_.skip_op(",") && !ts_.is_op(")")) tup->operands.push_back(expression());
    ts_.expect_op(")");
    return tup;
  }
  if (ts_.skip_op("[")) {
    auto list = make_expr(Expr::Kind::kList, t.line);
    while (!ts_.is_op("]")) {
      list->operands.push_back(expression());
      if (!ts_.skip_op(",")) break;
    }
    ts_.expect_op("]");
    return list;
  }
  if (ts_.skip_op("{")) {
    auto dict = make_expr(Expr::Kind::kDict, t.line);
    while (!ts_.is_op("}")) {
      dict->operands.push_back(expression());
      ts_.expect_op(":");
      dict->operands.push_back(expression());
      if (!ts_.skip_op(",")) break;
    }
    ts_.expect_op("}");
    return dict;
  }
  ts_.fail("expected an expression");
}

}  // namespace strata::chat
