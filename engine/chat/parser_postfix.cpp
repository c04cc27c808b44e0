// ExprParser: the postfix part of an expression (.attr, [item], [a:b:c], calls) and the filter and
// test chain after it (parser_expr.cpp has the operators).
#include "engine/chat/builtins.h"
#include "engine/chat/parser_expr.h"
#include "engine/chat/template_error.h"

namespace strata::chat {

ExprPtr ExprParser::parse_postfix(ExprPtr node) {
  while (ts_.is_op(".") || ts_.is_op("[") || ts_.is_op("(")) {
    if (ts_.is_op("(")) {
      const int line = ts_.next().line;
      auto call = make_expr(Expr::Kind::kCall, line);
      call->operands.push_back(std::move(node));
      call->args = call_args();
      node = std::move(call);
    } else {
      node = parse_subscript(std::move(node));
    }
  }
  return node;
}

ExprPtr ExprParser::parse_subscript(ExprPtr node) {
  const Token t = ts_.next();
  if (t.text == ".") {
    const Token attr = ts_.next();
    if (attr.type == Token::Type::kInt) {  // x.0 is x[0]
      auto item = make_expr(Expr::Kind::kItem, t.line);
      item->operands.push_back(std::move(node));
      item->operands.push_back(make_literal(Value(attr.int_value), t.line));
      return item;
    }
    if (attr.type != Token::Type::kName)
      template_fail_at(ts_.origin(), t.line, "expected an attribute name after '.'");
    auto e = make_expr(Expr::Kind::kAttr, t.line);
    e->name = attr.text;
    e->operands.push_back(std::move(node));
    return e;
  }
  // '[': an index or a slice start:stop:step, each part optional.
  ExprPtr parts[3];
  int colons = 0;
  if (!ts_.is_op(":")) parts[0] = expression();
  while (colons < 2 && ts_.skip_op(":")) {
    ++colons;
    if (!ts_.is_op(":") && !ts_.is_op("]")) parts[colons] = expression();
  }
  if (ts_.is_op(","))
    template_fail_at(ts_.origin(), t.line, "unsupported template construct 'tuple subscript x[a, b]'");
  ts_.expect_op("]");
  auto e = make_expr(colons ? Expr::Kind::kSlice : Expr::Kind::kItem, t.line);
  e->operands.push_back(std::move(node));
  e->operands.push_back(std::move(parts[0]));
  if (colons) {
    e->operands.push_back(std::move(parts[1]));
    e->operands.push_back(std::move(parts[2]));
  }
  return e;
}

std::vector<Arg> ExprParser::call_args() {
  std::vector<Arg> args;
  while (!ts_.is_op(")")) {
    if (ts_.is_op("*") || ts_.is_op("**"))
      template_fail_at(ts_.origin(), ts_.peek().line,
                       "unsupported template construct '*args/**kwargs in a call'");
    Arg a;
    if (ts_.peek().type == Token::Type::kName && ts_.is_op("=", 1)) {
      a.name = ts_.next().text;
      ts_.next();
    }
    a.value = expression();
    args.push_back(std::move(a));
    if (!ts_.skip_op(",")) break;
  }
  ts_.expect_op(")");
  return args;
}

std::string ExprParser::dotted_name() {
  std::string name = ts_.expect_name();
  while (ts_.is_op(".") && ts_.peek(1).type == Token::Type::kName) {
    ts_.next();
    name += str_cat(".", ts_.next().text);
  }
  return name;
}

ExprPtr ExprParser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (ts_.is_op("|")) {
      const int line = ts_.next().line;
      auto f = make_expr(Expr::Kind::kFilter, line);
      f->name = dotted_name();
      if (!find_filter(f->name)) template_fail_at(ts_.origin(), line, "unsupported filter '", f->name, "'");
      f->operands.push_back(std::move(node));
      if (ts_.skip_op("(")) f->args = call_args();
      node = std::move(f);
    } else if (ts_.is_name("is")) {
      const int line = ts_.next().line;
      auto t = make_expr(Expr::Kind::kTest, line);
      t->negated = ts_.skip_name("not");
      t->name = dotted_name();
      if (!find_test(t->name)) template_fail_at(ts_.origin(), line, "unsupported test '", t->name, "'");
      t->operands.push_back(std::move(node));
      const Token& nx = ts_.peek();
      if (ts_.skip_op("(")) {
        t->args = call_args();
      } else if ((nx.type == Token::Type::kName || nx.type == Token::Type::kString ||
                  nx.type == Token::Type::kInt || nx.type == Token::Type::kFloat || ts_.is_op("[") ||
                  ts_.is_op("{")) &&
                 !ts_.is_name("else") && !ts_.is_name("or") && !ts_.is_name("and")) {
        // `x is divisibleby 3`, `x is sameas none`: one argument without parentheses.
        if (ts_.is_name("is"))
          template_fail_at(ts_.origin(), line, "you cannot chain multiple tests with is");
        Arg a;
        a.value = parse_postfix(parse_primary());
        t->args.push_back(std::move(a));
      }
      node = std::move(t);
    } else if (ts_.is_op("(")) {
      const int line = ts_.next().line;
      auto call = make_expr(Expr::Kind::kCall, line);
      call->operands.push_back(std::move(node));
      call->args = call_args();
      node = std::move(call);
    } else {
      return node;
    }
  }
}

}  // namespace strata::chat
