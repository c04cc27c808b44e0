#include "engine/generate/token_logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace strata {

StepLogprobs step_logprobs(std::span<const float> logits, int32_t chosen, int32_t k) {
  STRATA_CHECK(!logits.empty() && chosen >= 0 && size_t(chosen) < logits.size(), "token ",
               chosen, " of a vocab of ", logits.size());
  STRATA_CHECK(k >= 0, "top ", k, " logprobs");
  const size_t keep = std::min(size_t(k), logits.size());
  // One pass: the largest logit, and the `keep` best (logit, id) in order. Ids rise along the
  // pass, so a logit equal to one already kept ranks after it: ties go to the lower id, as
  // argmax's do, and a greedy token is top[0].
  StepLogprobs out;
  out.top.reserve(keep + 1);
  float top_logit = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float x = logits[i];
    nan = nan || std::isnan(x);
    top_logit = std::max(top_logit, x);
    if (keep == 0 || (out.top.size() == keep && !(x > out.top.back().logprob))) continue;
    // After every kept logit >= x.
    const auto at = std::upper_bound(out.top.begin(), out.top.end(), x,
                                     [](float v, const TokenLogprob& t) { return v > t.logprob; });
    out.top.insert(at, TokenLogprob{int32_t(i), x});  // logprob holds the logit until the end
    if (out.top.size() > keep) out.top.pop_back();
  }
  double lse = std::numeric_limits<double>::quiet_NaN();
  if (!nan && std::isfinite(top_logit)) {
    double sum = 0.0;  // every term in [0, 1], the largest exactly 1
    for (const float x : logits) sum += std::exp(double(x) - double(top_logit));
    lse = double(top_logit) + std::log(sum);
  }
  const auto logprob = [&](float logit) { return float(double(logit) - lse); };
  for (TokenLogprob& t : out.top) t.logprob = logprob(t.logprob);
  out.chosen = {chosen, logprob(logits[size_t(chosen)])};
  return out;
}

}  // namespace strata
