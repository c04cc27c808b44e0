// How the template engine reports errors. Code that knows no template location (value
// formatting, filters, methods) throws TemplateFailure with a message; the renderer, which knows
// the template line it is on, turns it into one strata::InputError "ORIGIN:LINE: message", the
// form the parser uses too, so every template error is one line naming the file and line.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "common/error.h"

namespace strata::chat {

class TemplateFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void template_fail(Args&&... args) {
  throw TemplateFailure(str_cat(std::forward<Args>(args)...));
}

// "ORIGIN:LINE: what" as an InputError: the template is the user's (or the model's) input.
template <typename... Args>
[[noreturn]] void template_fail_at(const std::string& origin, int line, Args&&... args) {
  fail_input(origin, ":", line, ": ", std::forward<Args>(args)...);
}

}  // namespace strata::chat
