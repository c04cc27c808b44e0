// Token sampling: greedy, temperature, top-k and top-p (nucleus), with a per-sequence random
// stream so a request's output depends only on its own seed, never on its batch; and OpenAI's
// presence and frequency penalties over the tokens a sequence has generated.
#pragma once

#include <cstdint>
#include <span>

namespace strata {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy (argmax)
  float top_p = 1.0f;        // keep the smallest set of tokens whose probability reaches top_p
  int32_t top_k = 0;         // keep the k most likely tokens; 0: no limit
  uint64_t seed = 0;
  // OpenAI's penalties (platform.openai.com/docs/advanced-usage#frequency-and-presence-penalties),
  // applied to the logits before anything else, greedy included: with c[j] the count of token j
  // among the tokens generated so far (the prompt is not counted),
  //   logits[j] -= c[j] * frequency_penalty + (c[j] > 0) * presence_penalty.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
};

// True when params change the logits before sampling (a penalty is set).
bool has_penalties(const SamplingParams& params);

// Subtracts the penalties of params from logits ([vocab]) for the tokens in `generated`.
void apply_penalties(std::span<float> logits, std::span<const int32_t> generated,
                     const SamplingParams& params);

// SplitMix64: tiny, fast and fully specified, so the same seed gives the same stream on every
// platform and compiler (std::uniform_real_distribution is not specified bit for bit).
class SequenceRng {
 public:
  explicit SequenceRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t state_;
};

// The index of the highest logit (the lowest index among equals).
int32_t argmax(std::span<const float> logits);

// Draws a token from logits under params; greedy when temperature is 0 or top_k is 1.
int32_t sample_token(std::span<const float> logits, const SamplingParams& params,
                     SequenceRng& rng);

}  // namespace strata
