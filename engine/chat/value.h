// The values a chat template computes with: Python's object model cut down to what Jinja
// templates see. Kinds: undefined (Jinja's Undefined, carrying the reason it is undefined for
// the error a later use raises), none, bool, int (int64), float, str (UTF-8), list/tuple,
// dict (insertion-ordered, string keys, as JSON objects give them), namespace (the one mutable
// kind: `{% set ns.x = ... %}`) and callable (macros, globals, bound methods).
//
// Lists and dicts are immutable and shared (copying a Value copies a pointer), as in
// transformers' ImmutableSandboxedEnvironment, where templates cannot mutate them either.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::chat {

class Value;
class Renderer;
using ValueList = std::vector<Value>;

// Dicts are small (a message has a handful of keys), so lookup is a linear scan of the
// insertion-ordered items: the order is what tojson and items() must reproduce.
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value v);  // replaces in place or appends
};

// Arguments of a call, filter or test: positional values and keyword values in call order.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

struct Callable {
  std::string name;  // for messages and repr
  std::function<Value(Renderer&, const CallArgs&)> fn;
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() = default;  // undefined, no reason given
  Value(bool b) : kind_(Kind::kBool), i_(b) {}
  Value(int64_t i) : kind_(Kind::kInt), i_(i) {}
  Value(int i) : kind_(Kind::kInt), i_(i) {}
  Value(double f) : kind_(Kind::kFloat), f_(f) {}
  Value(std::string s) : kind_(Kind::kString), s_(std::move(s)) {}
  Value(const char* s) : kind_(Kind::kString), s_(s) {}

  // why: the message a use of this value raises, e.g. "'x' is undefined".
  static Value undefined(std::string why);
  static Value none();
  static Value list(ValueList items, bool tuple = false);
  static Value dict(Dict d);
  static Value namespace_(Dict attrs);
  static Value callable(std::string name, std::function<Value(Renderer&, const CallArgs&)> fn);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_tuple() const { return kind_ == Kind::kList && tuple_; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }  // also bool (Python's bool is an int)
  double as_float() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(i_); }
  const std::string& str() const { return s_; }
  const std::string& undefined_reason() const { return s_; }
  const ValueList& items() const { return *list_; }
  const Dict& dict() const { return *dict_; }
  Dict& ns() const { return *ns_; }
  const Callable& callable() const { return *fn_; }

  // Python truthiness; undefined is false.
  bool truthy() const;
  // Python's type name, for messages: "str", "list", "dict", "NoneType", ...
  std::string type_name() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool tuple_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;  // string, or an undefined value's reason
  std::shared_ptr<const ValueList> list_;
  std::shared_ptr<const Dict> dict_;
  std::shared_ptr<Dict> ns_;
  std::shared_ptr<const Callable> fn_;
};

// Python ==: numbers across int/float/bool, deep for lists and dicts (dicts order-free),
// undefined equals only undefined.
bool py_equal(const Value& a, const Value& b);

}  // namespace strata::chat
