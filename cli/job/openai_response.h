// OpenAI Batch output lines, field for field as OpenAI writes them (openai-python's
// BatchRequestOutput around a ChatCompletion or a Completion):
//   {"id": "batch_req_<hex>", "custom_id", "response": {"status_code": 200,
//    "request_id": "req_<hex>", "body": {"id": "chatcmpl-<hex>" | "cmpl-<hex>",
//    "object": "chat.completion" | "text_completion", "created": <unix seconds>, "model",
//    "choices": [{"index", "message": {"role": "assistant", "content", "refusal": null} | "text",
//    "logprobs": null | {...} (cli/job/openai_logprobs.h), "finish_reason"}],
//    "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}, "system_fingerprint"}},
//    "error": null}
// and, for a request that is not run, {"id", "custom_id", "response": null,
// "error": {"code", "message"}}.
// Every id holds 128 fresh random bits, so ids never repeat across jobs; a resumed job keeps the
// lines its journal holds as they were written, ids and times included.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>

#include "cli/job/request.h"
#include "engine/generate/generator.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata::cli {

class OpenAiResponder {
 public:
  // model: the name in each body; system_fingerprint: names what made the tokens (the model,
  // its compression, the backend), as OpenAI's names its backend configuration; tokenizer:
  // the model's, for the tokens of logprobs (it must outlive the responder).
  OpenAiResponder(std::string model, std::string system_fingerprint, const Tokenizer& tokenizer)
      : model_(std::move(model)), fingerprint_(std::move(system_fingerprint)),
        tokenizer_(tokenizer) {}

  // The line of a finished request. choices: its results in OpenAI's order (prompt_index * n +
  // i); prompt_tokens: the tokens of its prompts, each prompt counted once.
  nlohmann::ordered_json result_line(const Request& r, int64_t prompt_tokens,
                                     std::span<const SequenceResult> choices);
  // The line of a request that is not run; code: OpenAI's ("invalid_request" when empty).
  nlohmann::ordered_json error_line(const Request& r, const std::string& message,
                                    const std::string& code);

 private:
  std::string random_hex();  // 32 hex digits

  std::string model_;
  std::string fingerprint_;
  const Tokenizer& tokenizer_;
  std::random_device random_;
};

// "fp_" and 10 hex digits of a digest of what decides the tokens besides the request.
std::string system_fingerprint(const std::string& what_makes_the_tokens);

}  // namespace strata::cli
