// OpenAI Batch API input lines (https://platform.openai.com/docs/guides/batch), as `vllm
// run-batch` takes them: {"custom_id", "method": "POST", "url": "/v1/completions" |
// "/v1/chat/completions", "body": {"prompt" (a string or an array of strings) | "messages",
// "max_tokens" | "max_completion_tokens", "temperature", "top_p", "top_k", "stop", "seed", "n",
// "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs" (chat), ...}}. Which
// other body parameters are accepted or refused: cli/job/openai_parameters.h. The output lines:
// cli/job/openai_response.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/job/request.h"

namespace strata::cli {

// True when a parsed line is an OpenAI Batch request (it has "custom_id").
bool is_openai_line(const nlohmann::json& j);

// Fills an OpenAI request. Throws InputError "FILE:LINE: field 'body.messages': ..." when bad,
// UnsupportedParameter (an InputError) when it asks for what Strata does not do.
// `ordered` is the same line with its keys in the file's order: messages and
// chat_template_kwargs are taken from it, so a template's tojson writes the client's key order.
Request parse_openai_request(const nlohmann::json& j, const nlohmann::ordered_json& ordered,
                             const std::string& where, int64_t line);

}  // namespace strata::cli
