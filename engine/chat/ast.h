// The parsed form of a template: statement nodes holding expression trees. One generic node
// struct per layer (rather than a class per construct) keeps the parser and the evaluator two
// plain switches over `kind`; each field's comment says which kinds use it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/value.h"

namespace strata::chat {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Arg {
  std::string name;  // empty for a positional argument
  ExprPtr value;
};

struct Expr {
  enum class Kind {
    kLiteral,  // literal
    kName,     // name
    kList,     // operands = items
    kTuple,    // operands = items
    kDict,     // operands = key0, value0, key1, value1, ...
    kAttr,     // operands[0].name
    kItem,     // operands[0][operands[1]]
    kSlice,    // operands[0][operands[1]:operands[2]:operands[3]], absent parts null
    kCall,     // operands[0](args)
    kFilter,   // operands[0] | name(args)
    kTest,     // operands[0] is [not] name(args)
    kUnary,    // name ("-", "+", "not") operands[0]
    kBinary,   // operands[0] name operands[1]: + - * / // % ** ~ and or
    kCompare,  // operands[0] ops[0] operands[1] ops[1] ... (chained as Python does)
    kCond,     // operands[0] if operands[1] else operands[2] (operands[2] may be null)
  };
  Kind kind = Kind::kLiteral;
  int line = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> operands;
  std::vector<Arg> args;
  std::vector<std::string> ops;  // kCompare: "==", "!=", "<", "<=", ">", ">=", "in", "not in"
  bool negated = false;          // kTest: `is not`
};

inline ExprPtr make_expr(Expr::Kind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

inline ExprPtr make_literal(Value v, int line) {
  auto e = make_expr(Expr::Kind::kLiteral, line);
  e->literal = std::move(v);
  return e;
}

struct Node;
using Body = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // branches: (condition, body)..., a null condition for else
    kFor,       // for targets in expr [if filter]: body [else else_body]
    kSet,       // set targets = expr, or set targets[0].attr = expr (namespace attribute)
    kSetBlock,  // set targets[0]: body rendered to a string
    kMacro,     // macro name(params): body
    kBreak,
    kContinue,
    kScope,  // {% generation %}: body rendered in place (transformers' AssistantTracker)
  };
  Kind kind = Kind::kText;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<std::pair<ExprPtr, Body>> branches;
  std::vector<std::string> targets;
  std::string attr;
  Body body;
  Body else_body;
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters with defaults
};

}  // namespace strata::chat
