// Expression parsing over one tag's tokens, with jinja2.parser's precedence (lowest first):
//   a if b else c  |  or  |  and  |  not  |  == != < <= > >= in, not in (chained)  |  + -  |
//   ~  |  * / // %  |  **  |  unary - +  |  primary with .attr [item] [a:b:c] (call) then
//   | filter and `is` test, which bind tighter than every binary operator
//   (`'a' + x | trim` is `'a' + (x | trim)`, `n|length - 1` is `(n|length) - 1`).
// Internal to the engine (parser.cpp builds statements on it).
#pragma once

#include <string>
#include <vector>

#include "engine/chat/ast.h"
#include "engine/chat/token_stream.h"

namespace strata::chat {

class ExprParser {
 public:
  explicit ExprParser(TokenStream& ts) : ts_(ts) {}
  ExprPtr expression(bool with_condexpr = true);
  // `a, b` as a tuple (Jinja's parse_tuple), else the one expression.
  ExprPtr tuple(bool with_condexpr = true);
  ExprPtr or_expr() { return parse_or(); }
  // Names to assign (for/set targets): `a`, `a, b`, `(a, b)`; with_attr allows `ns.x`.
  std::vector<std::string> targets(std::string* attr, bool with_attr);
  std::vector<Arg> call_args();  // after '('; consumes ')'

 private:
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_filter_expr(ExprPtr node);
  ExprPtr parse_subscript(ExprPtr node);
  ExprPtr binary(std::string op, ExprPtr a, ExprPtr b, int line);
  std::string dotted_name();

  TokenStream& ts_;
  int depth_ = 0;  // unary/primary nesting, bounded so a hostile template cannot overflow the stack
};

}  // namespace strata::chat
