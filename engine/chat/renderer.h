// Executes a parsed template against a context: Jinja's runtime semantics as transformers uses
// them (default Undefined, no autoescape). Scoping follows Jinja: each for-loop iteration gets a
// fresh scope over the enclosing one (a `set` inside a loop is gone in the next iteration,
// hence namespace()), `if` makes no scope, a macro call gets a scope over the top level.
//
// Errors: helpers throw TemplateFailure; render() reports them as one InputError
// "ORIGIN:LINE: message" with the template line being evaluated.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/chat/ast.h"
#include "engine/chat/value.h"

namespace strata::chat {

struct RenderOptions {
  // The time strftime_now() formats (local time, as Python's datetime.now()); unset = now.
  // Tests pin it so templates that print today's date (Llama 3.2) render reproducibly.
  std::optional<std::time_t> now;
};

class Renderer {
 public:
  Renderer(const std::string& origin, const RenderOptions& options) : origin_(origin), options_(options) {}

  std::string render(const Body& body, const Dict& context);

  // Used by filters, tests and globals.
  Value eval(const Expr& e);
  Value call(const Value& callee, const CallArgs& args);
  Value apply_filter(const std::string& name, const Value& input, const CallArgs& args);
  bool apply_test(const std::string& name, const Value& input, const CallArgs& args);
  const RenderOptions& options() const { return options_; }

 private:
  struct Scope {
    Scope* parent = nullptr;
    std::unordered_map<std::string, Value> vars;
    const Value* find(const std::string& name) const;
  };
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec(const Body& body);
  Flow exec_node(const Node& n);
  Flow exec_for(const Node& n);
  void assign(const Node& n, const Value& v);
  void bind_targets(Scope& scope, const std::vector<std::string>& targets, const Value& v);
  Value make_macro(const Node& n);
  Value call_macro(const Node& n, const CallArgs& args);
  Value eval_inner(const Expr& e);
  Value eval_attr(const Value& obj, const std::string& name);
  Value eval_item(const Value& obj, const Value& key);
  Value eval_slice(const Expr& e);
  CallArgs eval_args(const std::vector<Arg>& args);

  const std::string& origin_;
  const RenderOptions& options_;
  Scope globals_;
  Scope* root_ = nullptr;
  Scope* scope_ = nullptr;
  std::string* out_ = nullptr;
  int line_ = 0;
  int macro_depth_ = 0;  // bounded like Python's recursion limit, so runaway recursion is an error
};

// Items a for loop visits: a list's items, a dict's keys, a string's characters; undefined
// iterates as empty (Jinja's Undefined.__iter__). Throws TemplateFailure for non-iterables.
ValueList iterate(const Value& v);

}  // namespace strata::chat
