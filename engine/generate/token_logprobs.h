// Token log-probabilities, for requests that ask for them (OpenAI's logprobs / top_logprobs):
// at each generated token, the log-probability of the chosen token and of the k most likely
// tokens under the log-softmax of the model's raw logits at that step, before penalties,
// temperature, top-k or top-p (vLLM V1's default, logprobs_mode "raw_logprobs"). Computed only
// for a sequence whose request asks (SequenceRequest::logprobs); nothing otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strata {

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.0f;  // natural log; -inf for a token whose logit is -inf
};

struct StepLogprobs {
  TokenLogprob chosen;            // the generated token, wherever it ranks
  std::vector<TokenLogprob> top;  // the k most likely, logprob descending, equals by lower id
};

// logits: [vocab], one sequence at one step; chosen < vocab; k >= 0 (capped at vocab). Each
// logprob is logit - logsumexp(logits), the sum taken in double around the largest logit (no
// overflow for any finite logits). Logits that are all -inf, or hold +inf or NaN, give NaN.
StepLogprobs step_logprobs(std::span<const float> logits, int32_t chosen, int32_t k);

}  // namespace strata
