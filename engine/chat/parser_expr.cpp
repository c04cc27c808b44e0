#include "engine/chat/parser_expr.h"

#include <cstring>

#include "engine/chat/builtins.h"
#include "engine/chat/template_error.h"

namespace strata::chat {
namespace {

ExprPtr make(Expr::Kind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

ExprPtr literal(Value v, int line) {
  auto e = make(Expr::Kind::kLiteral, line);
  e->literal = std::move(v);
  return e;
}

}  // namespace

const Token& TokenStream::peek(size_t ahead) const {
  const size_t i = pos_ + ahead;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();  // the last token is kEnd
}

Token TokenStream::next() {
  Token t = peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool TokenStream::is_op(const char* op, size_t ahead) const {
  return peek(ahead).type == Token::Type::kOp && peek(ahead).text == op;
}

bool TokenStream::is_name(const char* name, size_t ahead) const {
  return peek(ahead).type == Token::Type::kName && peek(ahead).text == name;
}

bool TokenStream::skip_op(const char* op) {
  if (!is_op(op)) return false;
  next();
  return true;
}

bool TokenStream::skip_name(const char* name) {
  if (!is_name(name)) return false;
  next();
  return true;
}

void TokenStream::expect_op(const char* op) {
  if (!skip_op(op)) fail(str_cat("expected '", op, "'"));
}

std::string TokenStream::expect_name() {
  if (peek().type != Token::Type::kName) fail("expected a name");
  return next().text;
}

void TokenStream::expect_end() {
  if (!at_end()) fail("unexpected tokens at the end of the tag");
}

void TokenStream::fail(const std::string& message) const {
  const Token& t = peek();
  const std::string got = t.type == Token::Type::kEnd ? "end of tag"
                          : t.type == Token::Type::kString ? "a string literal"
                                                           : "'" + t.text + "'";
  template_fail_at(origin_, t.line, message, ", got ", got);
}

ExprPtr ExprParser::binary(std::string op, ExprPtr a, ExprPtr b, int line) {
  auto e = make(Expr::Kind::kBinary, line);
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
    auto cond = make(Expr::Kind::kCond, line);
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
  auto t = make(Expr::Kind::kTuple, line);
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
    auto e = make(Expr::Kind::kUnary, ts_.next().line);
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
      cmp = make(Expr::Kind::kCompare, line);
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
  ExprPtr node;
  if (ts_.is_op("-") || ts_.is_op("+")) {
    const Token op = ts_.next();
    node = make(Expr::Kind::kUnary, op.line);
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
      if (t.text == "true" || t.text == "True") return literal(Value(true), t.line);
      if (t.text == "false" || t.text == "False") return literal(Value(false), t.line);
      if (t.text == "none" || t.text == "None") return literal(Value::none(), t.line);
      auto e = make(Expr::Kind::kName, t.line);
      e->name = t.text;
      return e;
    }
    case Token::Type::kString: {
      std::string s;
      while (ts_.peek().type == Token::Type::kString) s += ts_.next().text;  // 'a' 'b' == 'ab'
      return literal(Value(std::move(s)), t.line);
    }
    case Token::Type::kInt:
      ts_.next();
      return literal(Value(t.int_value), t.line);
    case Token::Type::kFloat:
      ts_.next();
      return literal(Value(t.float_value), t.line);
    default:
      break;
  }
  if (ts_.skip_op("(")) {
    if (ts_.skip_op(")")) return make(Expr::Kind::kTuple, t.line);
    ExprPtr first = expression();
    if (ts_.skip_op(")")) return first;
    auto tup = make(Expr::Kind::kTuple, t.line);
    tup->operands.push_back(std::move(first));
    while (ts_.skip_op(",") && !ts_.is_op(")")) tup->operands.push_back(expression());
    ts_.expect_op(")");
    return tup;
  }
  if (ts_.skip_op("[")) {
    auto list = make(Expr::Kind::kList, t.line);
    while (!ts_.is_op("]")) {
      list->operands.push_back(expression());
      if (!ts_.skip_op(",")) break;
    }
    ts_.expect_op("]");
    return list;
  }
  if (ts_.skip_op("{")) {
    auto dict = make(Expr::Kind::kDict, t.line);
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

ExprPtr ExprParser::parse_postfix(ExprPtr node) {
  while (ts_.is_op(".") || ts_.is_op("[") || ts_.is_op("(")) {
    if (ts_.is_op("(")) {
      const int line = ts_.next().line;
      auto call = make(Expr::Kind::kCall, line);
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
      auto item = make(Expr::Kind::kItem, t.line);
      item->operands.push_back(std::move(node));
      item->operands.push_back(literal(Value(attr.int_value), t.line));
      return item;
    }
    if (attr.type != Token::Type::kName) template_fail_at(ts_.origin(), t.line, "expected an attribute name after '.'");
    auto e = make(Expr::Kind::kAttr, t.line);
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
  if (ts_.is_op(",")) template_fail_at(ts_.origin(), t.line, "unsupported template construct 'tuple subscript x[a, b]'");
  ts_.expect_op("]");
  auto e = make(colons ? Expr::Kind::kSlice : Expr::Kind::kItem, t.line);
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
    if (ts_.is_op("*") || ts_.is_op("**")) template_fail_at(ts_.origin(), ts_.peek().line, "unsupported template construct '*args/**kwargs in a call'");
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
    name += "." + ts_.next().text;
  }
  return name;
}

ExprPtr ExprParser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (ts_.is_op("|")) {
      const int line = ts_.next().line;
      auto f = make(Expr::Kind::kFilter, line);
      f->name = dotted_name();
      if (!find_filter(f->name)) template_fail_at(ts_.origin(), line, "unsupported filter '", f->name, "'");
      f->operands.push_back(std::move(node));
      if (ts_.skip_op("(")) f->args = call_args();
      node = std::move(f);
    } else if (ts_.is_name("is")) {
      const int line = ts_.next().line;
      auto t = make(Expr::Kind::kTest, line);
      t->negated = ts_.skip_name("not");
      t->name = dotted_name();
      if (!find_test(t->name)) template_fail_at(ts_.origin(), line, "unsupported test '", t->name, "'");
      t->operands.push_back(std::move(node));
      const Token& nx = ts_.peek();
      if (ts_.skip_op("(")) {
        t->args = call_args();
      } else if ((nx.type == Token::Type::kName || nx.type == Token::Type::kString ||
                  nx.type == Token::Type::kInt || nx.type == Token::Type::kFloat ||
                  ts_.is_op("[") || ts_.is_op("{")) &&
                 !ts_.is_name("else") && !ts_.is_name("or") && !ts_.is_name("and")) {
        // `x is divisibleby 3`, `x is sameas none`: one argument without parentheses.
        if (ts_.is_name("is")) template_fail_at(ts_.origin(), line, "you cannot chain multiple tests with is");
        Arg a;
        a.value = parse_postfix(parse_primary());
        t->args.push_back(std::move(a));
      }
      node = std::move(t);
    } else if (ts_.is_op("(")) {
      const int line = ts_.next().line;
      auto call = make(Expr::Kind::kCall, line);
      call->operands.push_back(std::move(node));
      call->args = call_args();
      node = std::move(call);
    } else {
      return node;
    }
  }
}

}  // namespace strata::chat
