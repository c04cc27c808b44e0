// The sequences a request runs as: one per choice, in OpenAI's order (prompt_index * n + i for
// an array of prompts and n choices each). Choice 0 keeps the request's seed (its own, or one
// derived from --seed and its line) and every other choice gets a distinct one derived from
// it, so a request with one prompt and n = 1 runs exactly as it did before choices existed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/job/request.h"
#include "common/error.h"
#include "engine/chat/chat_prompt.h"
#include "engine/generate/generator.h"
#include "runtime/model_source.h"

namespace strata::cli {

// Request fields override these command-line defaults.
struct RequestDefaults {
  int64_t max_new_tokens = 64;
  float temperature = 0.0f;
  float top_p = 1.0f;
  int32_t top_k = 0;
  uint64_t seed = 0;  // a request without "seed" gets one derived from this and its line number
};

// A well-formed request whose prompt cannot fit the model's context: the request fails (an
// error line), not the job, unless --strict.
class PromptTooLong : public InputError {
 public:
  using InputError::InputError;
};

// Tokenizes the request's prompts (through the chat template for chat requests) and fills
// the sampling of each choice. Throws PromptTooLong "FILE:LINE: field 'prompt': ..." when a
// prompt is longer than the model's max_position_embeddings.
std::vector<SequenceRequest> request_sequences(const Request& r, const RequestDefaults& d,
                                               const ModelSource& model,
                                               const chat::ChatFormatter& chat,
                                               const std::string& file);

// The request's prompt tokens with each prompt counted once (OpenAI's usage.prompt_tokens),
// from its sequences as request_sequences made them.
int64_t prompt_tokens(std::span<const SequenceRequest> choices, int64_t n);

}  // namespace strata::cli
