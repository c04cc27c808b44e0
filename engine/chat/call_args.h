// Binds a call's positional and keyword arguments to a builtin's Python parameter list, so
// `tojson(indent=4)` and `tojson(none, 4)` mean the same, and a wrong name is an error naming
// the function rather than an ignored argument.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/chat/template_error.h"
#include "engine/chat/value.h"

namespace strata::chat {

class BoundArgs {
 public:
  // params: the builtin's parameters after its input, in Python order.
  BoundArgs(const char* fn, const CallArgs& args, std::initializer_list<const char*> params)
      : fn_(fn), values_(params.size()), given_(params.size(), false) {
    std::vector<std::string> names(params.begin(), params.end());
    if (args.positional.size() > names.size()) {
      template_fail(fn, "() takes at most ", names.size(), " argument(s), got ", args.positional.size());
    }
    for (size_t i = 0; i < args.positional.size(); ++i) set(i, args.positional[i]);
    for (const auto& [k, v] : args.keyword) {
      size_t i = 0;
      while (i < names.size() && names[i] != k) ++i;
      if (i == names.size()) template_fail(fn, "() got an unexpected keyword argument '", k, "'");
      set(i, v);
    }
  }
  bool has(size_t i) const { return given_[i] && !values_[i].is_none(); }
  const Value& get(size_t i) const { return values_[i]; }
  Value get_or(size_t i, Value dflt) const { return given_[i] ? values_[i] : dflt; }
  std::string str(size_t i, const std::string& dflt) const {
    if (!given_[i]) return dflt;
    if (!values_[i].is_string())
      template_fail(fn_, "(): expected a string argument, got ", values_[i].type_name());
    return values_[i].str();
  }
  int64_t integer(size_t i, int64_t dflt) const {
    if (!given_[i]) return dflt;
    if (!values_[i].is_number() || values_[i].kind() == Value::Kind::kFloat) {
      template_fail(fn_, "(): expected an integer argument, got ", values_[i].type_name());
    }
    return values_[i].as_int();
  }
  bool flag(size_t i, bool dflt) const { return given_[i] ? values_[i].truthy() : dflt; }

 private:
  void set(size_t i, const Value& v) {
    if (given_[i]) template_fail(fn_, "() got multiple values for one argument");
    values_[i] = v;
    given_[i] = true;
  }
  const char* fn_;
  std::vector<Value> values_;
  std::vector<bool> given_;
};

}  // namespace strata::chat
