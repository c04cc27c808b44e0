#include "engine/chat/renderer.h"

#include "engine/chat/builtins.h"
#include "engine/chat/template_error.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {

const Value* Renderer::Scope::find(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

ValueList iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return {};
    case Value::Kind::kList:
      return v.items();
    case Value::Kind::kDict: {
      ValueList keys;
      for (const auto& [k, _] : v.dict().items) keys.emplace_back(k);
      return keys;
    }
    case Value::Kind::kString: {
      ValueList chars;
      for (char32_t c : decode_utf8(v.str())) {
        std::string s;
        append_utf8(s, c);
        chars.emplace_back(std::move(s));
      }
      return chars;
    }
    default:
      template_fail("'", v.type_name(), "' object is not iterable");
  }
}

std::string Renderer::render(const Body& body, const Dict& context) {
  for (auto& [k, v] : global_functions().items) globals_.vars[k] = v;
  Scope root;
  root.parent = &globals_;
  for (const auto& [k, v] : context.items) root.vars[k] = v;
  root_ = scope_ = &root;
  std::string out;
  out_ = &out;
  try {
    exec(body);
  } catch (const TemplateFailure& e) {
    template_fail_at(origin_, line_, e.what());
  }
  return out;
}

Renderer::Flow Renderer::exec(const Body& body) {
  for (const auto& n : body) {
    const Flow f = exec_node(*n);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Renderer::Flow Renderer::exec_node(const Node& n) {
  line_ = n.line;
  switch (n.kind) {
    case Node::Kind::kText:
      *out_ += n.text;
      return Flow::kNormal;
    case Node::Kind::kOutput:
      *out_ += py_str(eval(*n.expr));
      return Flow::kNormal;
    case Node::Kind::kIf:
      for (const auto& [cond, body] : n.branches) {
        if (!cond || eval(*cond).truthy()) return exec(body);
      }
      return Flow::kNormal;
    case Node::Kind::kFor:
      return exec_for(n);
    case Node::Kind::kSet:
      assign(n, eval(*n.expr));
      return Flow::kNormal;
    case Node::Kind::kSetBlock: {
      std::string captured;
      std::string* saved = out_;
      out_ = &captured;
      const Flow f = exec(n.body);
      out_ = saved;
      assign(n, Value(std::move(captured)));
      return f;
    }
    case Node::Kind::kMacro:
      scope_->vars[n.name] = make_macro(n);
      return Flow::kNormal;
    case Node::Kind::kBreak:
      return Flow::kBreak;
    case Node::Kind::kContinue:
      return Flow::kContinue;
    case Node::Kind::kScope:
      return exec(n.body);
  }
  return Flow::kNormal;
}

void Renderer::bind_targets(Scope& scope, const std::vector<std::string>& targets, const Value& v) {
  if (targets.size() == 1) {
    scope.vars[targets[0]] = v;
    return;
  }
  const ValueList parts = iterate(v);
  if (parts.size() != targets.size()) {
    template_fail(parts.size() < targets.size() ? "not enough" : "too many", " values to unpack (expected ",
                  targets.size(), ", got ", parts.size(), ")");
  }
  for (size_t i = 0; i < targets.size(); ++i) scope.vars[targets[i]] = parts[i];
}

void Renderer::assign(const Node& n, const Value& v) {
  if (n.attr.empty()) {
    bind_targets(*scope_, n.targets, v);
    return;
  }
  const Value* ns = scope_->find(n.targets[0]);
  if (!ns || ns->kind() != Value::Kind::kNamespace) {
    template_fail("cannot assign attribute '", n.attr, "' on '", n.targets[0], "': it is not a namespace()");
  }
  ns->ns().set(n.attr, v);
}

Renderer::Flow Renderer::exec_for(const Node& n) {
  ValueList items = iterate(eval(*n.expr));
  if (n.filter) {  // `for x in xs if cond`: filtered first, so loop.length counts the kept ones
    ValueList kept;
    for (const auto& item : items) {
      Scope probe;
      probe.parent = scope_;
      bind_targets(probe, n.targets, item);
      Scope* saved = scope_;
      scope_ = &probe;
      const bool keep = eval(*n.filter).truthy();
      scope_ = saved;
      if (keep) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) return exec(n.else_body);
  const int64_t len = static_cast<int64_t>(items.size());
  Scope* saved = scope_;
  for (int64_t i = 0; i < len; ++i) {
    Scope iteration;  // fresh each time: Jinja forgets a loop body's `set` between iterations
    iteration.parent = saved;
    bind_targets(iteration, n.targets, items[i]);
    Dict loop;
    loop.items = {{"index", Value(i + 1)},
                  {"index0", Value(i)},
                  {"revindex", Value(len - i)},
                  {"revindex0", Value(len - i - 1)},
                  {"first", Value(i == 0)},
                  {"last", Value(i == len - 1)},
                  {"length", Value(len)},
                  {"depth", Value(1)},
                  {"depth0", Value(0)},
                  {"previtem", i > 0 ? items[i - 1] : Value::undefined("there is no previous item")},
                  {"nextitem", i + 1 < len ? items[i + 1] : Value::undefined("there is no next item")}};
    loop.items.emplace_back("cycle", Value::callable("loop.cycle", [i](Renderer&, const CallArgs& a) {
                              if (a.positional.empty()) template_fail("no items for cycling given");
                              return a.positional[i % a.positional.size()];
                            }));
    iteration.vars["loop"] = Value::dict(std::move(loop));
    scope_ = &iteration;
    const Flow f = exec(n.body);
    scope_ = saved;
    if (f == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

Value Renderer::make_macro(const Node& n) {
  const Node* node = &n;
  return Value::callable(n.name,
                         [node](Renderer& r, const CallArgs& args) { return r.call_macro(*node, args); });
}

Value Renderer::call_macro(const Node& n, const CallArgs& args) {
  if (args.positional.size() > n.params.size()) {
    template_fail("macro '", n.name, "' takes not more than ", n.params.size(), " argument(s)");
  }
  if (macro_depth_ >= 100) template_fail("maximum recursion depth exceeded in macro '", n.name, "'");
  struct DepthGuard {
    int& d;
    ~DepthGuard() { --d; }
  } guard{++macro_depth_};
  // Macros see the top level, not the caller's loop variables (Jinja's closure over the
  // template module); a macro defined inside a loop is resolved the same way.
  Scope local;
  local.parent = root_;
  Scope* saved_scope = scope_;
  std::string* saved_out = out_;
  const int saved_line = line_;
  scope_ = &local;
  for (size_t i = 0; i < n.params.size(); ++i) {
    const std::string& p = n.params[i].first;
    const Value* given = i < args.positional.size() ? &args.positional[i] : nullptr;
    for (const auto& [k, v] : args.keyword) {
      if (k == p) given = &v;
    }
    local.vars[p] = given                ? *given
                    : n.params[i].second ? eval(*n.params[i].second)
                                         : Value::undefined(str_cat("parameter '", p, "' was not provided"));
  }
  for (const auto& [k, v] : args.keyword) {
    bool known = false;
    for (const auto& p : n.params) known = known || p.first == k;
    if (!known) template_fail("macro '", n.name, "' takes no keyword argument '", k, "'");
  }
  std::string captured;
  out_ = &captured;
  exec(n.body);
  out_ = saved_out;
  scope_ = saved_scope;
  line_ = saved_line;
  return Value(std::move(captured));
}

Value Renderer::call(const Value& callee, const CallArgs& args) {
  if (callee.is_undefined()) template_fail(callee.undefined_reason());
  if (callee.kind() != Value::Kind::kCallable) {
    template_fail("'", callee.type_name(), "' object is not callable");
  }
  return callee.callable().fn(*this, args);
}

Value Renderer::apply_filter(const std::string& name, const Value& input, const CallArgs& args) {
  const FilterFn f = find_filter(name);
  if (!f) template_fail("unsupported filter '", name, "'");
  return f(*this, input, args);
}

bool Renderer::apply_test(const std::string& name, const Value& input, const CallArgs& args) {
  const TestFn t = find_test(name);
  if (!t) template_fail("unsupported test '", name, "'");
  return t(*this, input, args);
}

}  // namespace strata::chat
