// OpenAI Batch API lines (https://platform.openai.com/docs/guides/batch), as `vllm run-batch`
// takes them. Input: {"custom_id", "method": "POST", "url": "/v1/completions" |
// "/v1/chat/completions", "body": {"prompt" | "messages", "max_tokens" | "max_completion_tokens",
// "temperature", "top_p", "top_k", "stop", "seed", ...}}. Output: {"id", "custom_id",
// "response": {"status_code", "request_id", "body": {choices, usage}}, "error"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/job/request.h"
#include "engine/generate/generator.h"

namespace strata::cli {

// True when a parsed line is an OpenAI Batch request (it has "custom_id").
bool is_openai_line(const nlohmann::json& j);

// Fills an OpenAI request. Throws InputError "FILE:LINE: field 'body.messages': ..." when bad.
Request parse_openai_request(const nlohmann::json& j, const std::string& where, int64_t line);

// The output line of a finished request.
nlohmann::ordered_json openai_result_line(const Request& r, const std::string& model_name,
                                          int64_t prompt_tokens, const SequenceResult& res);
// The output line of a request that could not be run (bad line, without --strict).
nlohmann::ordered_json openai_error_line(const Request& r, const std::string& message);

}  // namespace strata::cli
