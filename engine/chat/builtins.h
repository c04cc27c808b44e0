// The filters, tests and global functions templates may call, looked up by name. The parser
// checks filter and test names when it reads the template, so an unsupported one is a load-time
// error naming it rather than a failure halfway through a batch.
#pragma once

#include <string_view>

#include "engine/chat/value.h"

namespace strata::chat {

using FilterFn = Value (*)(Renderer& r, const Value& input, const CallArgs& args);
using TestFn = bool (*)(Renderer& r, const Value& input, const CallArgs& args);

FilterFn find_filter(std::string_view name);  // nullptr when unsupported
TestFn find_test(std::string_view name);      // nullptr when unsupported

// Globals every render sees: range, namespace, dict, raise_exception, strftime_now.
Dict global_functions();

// A bound method (`s.strip`, `d.items`, ...) of a str, dict or list value; undefined with a
// Jinja-like reason when the type has no such attribute.
Value method_of(const Value& self, const std::string& name);

}  // namespace strata::chat
