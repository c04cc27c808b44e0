#include "engine/generate/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/error.h"

namespace strata {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[size_t(best)]) best = int32_t(i);
  }
  return best;
}

bool has_penalties(const SamplingParams& params) {
  return params.presence_penalty != 0.0f || params.frequency_penalty != 0.0f;
}

void apply_penalties(std::span<float> logits, std::span<const int32_t> generated,
                     const SamplingParams& params) {
  // Runs of equal ids in a sorted copy give each token's count once, whatever the order.
  std::vector<int32_t> sorted(generated.begin(), generated.end());
  std::sort(sorted.begin(), sorted.end());
  for (size_t at = 0; at < sorted.size();) {
    size_t end = at;
    while (end < sorted.size() && sorted[end] == sorted[at]) ++end;
    const int32_t token = sorted[at];
    STRATA_CHECK(token >= 0 && size_t(token) < logits.size(), "token ", token,
                 " outside a vocab of ", logits.size());
    logits[size_t(token)] -= float(end - at) * params.frequency_penalty + params.presence_penalty;
    at = end;
  }
}

int32_t sample_token(std::span<const float> logits, const SamplingParams& params,
                     SequenceRng& rng) {
  if (params.temperature <= 0.0f || params.top_k == 1) return argmax(logits);
  // Candidates sorted by logit, descending; ties broken by index for determinism.
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  size_t keep = order.size();
  if (params.top_k > 0) keep = std::min(keep, size_t(params.top_k));
  const auto by_logit = [&](int32_t a, int32_t b) {
    return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(keep), order.end(), by_logit);
  order.resize(keep);

  // Softmax over the kept candidates at the given temperature, in double for a stable sum.
  std::vector<double> probs(keep);
  const double top = logits[size_t(order[0])];
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((double(logits[size_t(order[i])]) - top) / params.temperature);
    total += probs[i];
  }
  // Nucleus: the shortest prefix whose mass reaches top_p (always at least one token).
  if (params.top_p < 1.0f) {
    double mass = 0.0;
    size_t cut = 0;
    while (cut < keep) {
      mass += probs[cut++] / total;
      if (mass >= params.top_p) break;
    }
    keep = cut;
    total = std::accumulate(probs.begin(), probs.begin() + std::ptrdiff_t(keep), 0.0);
  }
  double u = rng.uniform() * total;
  for (size_t i = 0; i < keep; ++i) {
    u -= probs[i];
    if (u < 0.0) return order[i];
  }
  return order[keep - 1];  // rounding left u just above zero
}

}  // namespace strata
