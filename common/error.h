// Strata's error types and checks, shared by every library (header-only, no dependencies).
//
// - strata::Error: a bug-class failure inside the library; its message carries the source
//   file:line of the failed check and the offending values.
// - strata::InputError: the user's input is wrong (a file, a line, a field); its message names
//   the input, not Strata's source, because that is what the user must fix.
// cli/main.cpp catches both once and maps them to a one-line message and an exit code.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace strata {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  using Error::Error;
};

// A user's interrupt (Ctrl-C, SIGTERM) observed at a safe point; work done so far is kept.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

// Concatenates anything streamable: str_cat("layer ", 3, ": ", name).
template <typename... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

template <typename... Args>
[[noreturn]] void fail_input(Args&&... args) {
  throw InputError(str_cat(std::forward<Args>(args)...));
}

}  // namespace strata

// STRATA_CHECK(cond, "message parts", value, ...): throws strata::Error with file:line.
#define STRATA_CHECK(cond, ...)                                                        \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      throw ::strata::Error(::strata::str_cat(__FILE__, ":", __LINE__, ": check `",    \
                                              #cond, "` failed: ", __VA_ARGS__));      \
    }                                                                                  \
  } while (0)

// STRATA_CHECK_INPUT(cond, "file:line: field ...", ...): throws strata::InputError.
#define STRATA_CHECK_INPUT(cond, ...)                            \
  do {                                                           \
    if (!(cond)) ::strata::fail_input(__VA_ARGS__);              \
  } while (0)
