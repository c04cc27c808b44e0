// Which OpenAI body parameters Strata runs, which it accepts because they cannot change the
// result, and which it refuses. A parameter that would change the result and that Strata does
// not implement (response_format json, forced tools, logit_bias, echo, ...) must not be
// ignored silently: the request gets an error line with OpenAI's code "unsupported_parameter",
// and the rest of the job goes on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace strata::cli {

// A request that asks for something Strata does not do; OpenAI's error code
// "unsupported_parameter".
class UnsupportedParameter : public InputError {
 public:
  using InputError::InputError;
};

// Throws UnsupportedParameter "WHERE: field 'body.X': ..." for the first body parameter that
// is unknown, or not implemented and given a value other than its neutral one (null, false,
// an empty list, ...). The parameters Strata implements are left to the request's parser.
void refuse_unsupported_parameters(const nlohmann::json& body, bool chat,
                                   const std::string& where);

}  // namespace strata::cli
