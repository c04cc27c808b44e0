// step_logprobs (engine/generate/token_logprobs.h) against a float64 reference on random
// logits: many ties, -inf entries, logits of magnitude 1e4 (a plain exp overflows or underflows
// there), k from 0 to past the vocab, the chosen token anywhere. The reference takes the
// log-sum-exp as a fold of log(e^a + e^b) = max + log1p(e^-|a-b|) over the logits in rising
// order (not step_logprobs' one pass around the largest), and the top k as a stable sort.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "engine/generate/sampling.h"
#include "engine/generate/token_logprobs.h"
#include "test_support.h"

namespace strata {
namespace {

double reference_logsumexp(const std::vector<float>& logits) {
  std::vector<double> xs(logits.begin(), logits.end());
  std::sort(xs.begin(), xs.end());
  double acc = -INFINITY;
  for (const double x : xs) {
    if (x == -INFINITY) continue;
    acc = acc == -INFINITY ? x : std::max(acc, x) + std::log1p(std::exp(-std::abs(acc - x)));
  }
  return acc;
}

// A float logprob against its float64 value: the float rounding of the result, no more.
bool close(float got, double want) {
  if (want == -INFINITY) return got == -INFINITY;
  return std::abs(double(got) - want) <= 2e-7 * std::max(1.0, std::abs(want));
}

// Logits of one trial: kind 0 normal, 1 integer-valued (ties), 2 spread over +-3e4,
// 3 near 1e4 (every exp(x) overflows a double, exp(x - max) does not); some -inf entries.
std::vector<float> trial_logits(std::mt19937& rng, int trial) {
  const size_t n = size_t(ut::random_int(rng, 1, 300));
  std::vector<float> v = ut::random_floats(rng, n, 3.0f);
  const int kind = trial % 4;
  for (float& x : v) {
    if (kind == 1) x = std::round(x / 2.0f);
    if (kind == 2) x *= 1e4f;
    if (kind == 3) x += 1e4f;
  }
  if (trial % 3 == 0) {
    for (int i = 0; i < 1 + int(n) / 4; ++i) v[size_t(ut::random_int(rng, 0, int64_t(n) - 1))] = -INFINITY;
    if (std::all_of(v.begin(), v.end(), [](float x) { return x == -INFINITY; })) v[0] = 0.0f;
  }
  return v;
}

}  // namespace

TEST_CASE("step_logprobs equals the float64 log-softmax and its top k", "[sampling]") {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::vector<float> logits = trial_logits(rng, trial);
    const int32_t k = int32_t(ut::random_int(rng, 0, 25));
    // Greedy's token in half the trials, else any token (-inf ones included).
    const int32_t chosen = trial % 2 == 0 ? argmax(logits)
                                          : int32_t(ut::random_int(rng, 0, int64_t(logits.size()) - 1));
    const StepLogprobs got = step_logprobs(logits, chosen, k);
    const double lse = reference_logsumexp(logits);
    const std::vector<int32_t> order = ut::ranked_by_logit(logits);
    CAPTURE(trial, logits.size(), k, chosen);
    REQUIRE(got.chosen.token == chosen);
    REQUIRE(close(got.chosen.logprob, double(logits[size_t(chosen)]) - lse));
    REQUIRE(got.top.size() == std::min(size_t(k), logits.size()));
    for (size_t i = 0; i < got.top.size(); ++i) {
      CAPTURE(i);
      REQUIRE(got.top[i].token == order[i]);
      REQUIRE(close(got.top[i].logprob, double(logits[size_t(order[i])]) - lse));
      if (i > 0) REQUIRE(got.top[i].logprob <= got.top[i - 1].logprob);
    }
    if (trial % 2 == 0 && k > 0) REQUIRE(got.top[0].token == chosen);
  }
}

TEST_CASE("step_logprobs: exact small cases", "[sampling]") {
  // Two equal logits: log(1/2) each; the lower id ranks first.
  const StepLogprobs even = step_logprobs(std::vector<float>{7.0f, 7.0f}, 1, 5);
  CHECK(even.chosen.logprob == Approx(-std::log(2.0)).epsilon(1e-7));
  REQUIRE(even.top.size() == 2);
  CHECK(even.top[0].token == 0);
  CHECK(even.top[1].token == 1);
  // A -inf logit has probability 0: logprob -inf, ranked last.
  const StepLogprobs masked = step_logprobs(std::vector<float>{-INFINITY, 1e4f, 1e4f}, 0, 3);
  CHECK(masked.chosen.logprob == -INFINITY);
  CHECK(masked.top[2].token == 0);
  CHECK(masked.top[0].logprob == Approx(-std::log(2.0)).epsilon(1e-7));
  // k = 0: the chosen token alone.
  CHECK(step_logprobs(std::vector<float>{1.0f, 2.0f}, 0, 0).top.empty());
  // No probability anywhere: NaN, not a crash or a made-up number.
  CHECK(std::isnan(step_logprobs(std::vector<float>{-INFINITY, -INFINITY}, 1, 1).chosen.logprob));
  CHECK(std::isnan(step_logprobs(std::vector<float>{NAN, 0.0f}, 1, 1).chosen.logprob));
}

}  // namespace strata
