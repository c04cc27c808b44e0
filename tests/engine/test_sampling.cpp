// Token sampling against float64 references: argmax ties, greedy cases, top-k and top-p
// supports, the empirical distribution against softmax (chi-square), determinism per seed, and
// the SplitMix64 stream; presence and frequency penalties against OpenAI's formula.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "engine/generate/sampling.h"
#include "test_support.h"

namespace strata {
namespace {

// The distribution sample_token should draw from, in double: softmax(logits / T) restricted to
// the top_k best, then to the shortest prefix whose mass reaches top_p, renormalized.
std::vector<double> expected_probs(const std::vector<float>& logits, double temperature,
                                   size_t top_k, double top_p) {
  const std::vector<int32_t> order = ut::ranked_by_logit(logits);
  const size_t k = top_k == 0 ? order.size() : std::min(top_k, order.size());
  std::vector<double> p(k);
  double total = 0.0;
  for (size_t i = 0; i < k; ++i) total += (p[i] = std::exp(double(logits[size_t(order[i])]) / temperature));
  size_t cut = 0;
  double mass = 0.0;
  while (cut < k && (cut == 0 || mass < top_p)) mass += p[cut++] / total;
  std::vector<double> probs(logits.size(), 0.0);
  for (size_t i = 0; i < cut; ++i) probs[size_t(order[i])] = p[i] / mass / total;
  return probs;
}

std::vector<float> random_logits(std::mt19937& rng, size_t n, float spread) {
  std::uniform_real_distribution<float> dist(-spread, spread);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Pearson's chi-square of `draws` samples against probs (bins with probability 0 must stay
// empty: any draw there returns infinity).
double chi_square(const std::vector<float>& logits, const SamplingParams& params, int draws,
                  const std::vector<double>& probs) {
  SequenceRng rng(params.seed);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[size_t(sample_token(logits, params, rng))];
  double chi2 = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] == 0.0) {
      if (counts[i] != 0) return INFINITY;
      continue;
    }
    const double e = probs[i] * draws;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

}  // namespace

TEST_CASE("argmax returns the lowest index among equal maxima", "[sampling]") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<float> logits(size_t(ut::random_int(rng, 1, 60)));
    for (float& x : logits) x = float(ut::random_int(rng, -3, 3));  // many ties
    if (trial % 7 == 0) logits[0] = -INFINITY;
    size_t best = 0;
    for (size_t i = 0; i < logits.size(); ++i) if (logits[i] > logits[best]) best = i;
    CAPTURE(trial);
    REQUIRE(argmax(logits) == int32_t(best));
  }
  CHECK(argmax(std::vector<float>{1, 5, 5, 2}) == 1);
  CHECK(argmax(std::vector<float>{-INFINITY, -INFINITY, -1e30f}) == 2);
  CHECK(argmax(std::vector<float>(9, 0.25f)) == 0);
}

TEST_CASE("temperature 0 or top_k 1 is greedy", "[sampling]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> logits = random_logits(rng, size_t(ut::random_int(rng, 1, 100)), 4.0f);
    if (trial % 3 == 0) logits.push_back(*std::max_element(logits.begin(), logits.end()));
    const int32_t best = argmax(logits);
    SequenceRng seq{uint64_t(trial)};
    CAPTURE(trial);
    REQUIRE(sample_token(logits, {0.0f, 0.5f, 0, 1}, seq) == best);
    REQUIRE(sample_token(logits, {0.0f, 1.0f, 7, 1}, seq) == best);
    REQUIRE(sample_token(logits, {1.5f, 1.0f, 1, 1}, seq) == best);
    REQUIRE(sample_token(logits, {100.0f, 0.9f, 1, 1}, seq) == best);
  }
}

TEST_CASE("top_k keeps the sample among the k best", "[sampling]") {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 40; ++trial) {
    const std::vector<float> logits = random_logits(rng, size_t(ut::random_int(rng, 2, 80)), 3.0f);
    const int32_t k = int32_t(ut::random_int(rng, 2, int64_t(logits.size())));
    const std::vector<int32_t> order = ut::ranked_by_logit(logits);
    const std::set<int32_t> best(order.begin(), order.begin() + k);
    SequenceRng seq(1000 + uint64_t(trial));
    const SamplingParams params{2.0f, 1.0f, k, 0};  // a high temperature flattens the tail
    std::set<int32_t> seen;
    for (int i = 0; i < 400; ++i) {
      const int32_t tok = sample_token(logits, params, seq);
      CAPTURE(trial, k, tok);
      REQUIRE(best.count(tok) == 1);
      seen.insert(tok);
    }
    CHECK(seen.size() > 1);  // it does sample, not just take the argmax
  }
}

TEST_CASE("top_p keeps the sample within the nucleus, and reaches all of it", "[sampling]") {
  std::mt19937 rng(21);
  int checked = 0;
  for (int trial = 0; checked < 40 && trial < 400; ++trial) {
    const std::vector<float> logits = random_logits(rng, size_t(ut::random_int(rng, 2, 40)), 2.0f);
    const float top_p = std::uniform_real_distribution<float>(0.05f, 0.99f)(rng);
    const float temperature = trial % 2 ? 1.0f : 0.7f;
    const int32_t top_k = trial % 3 == 0 ? int32_t(ut::random_int(rng, 2, 10)) : 0;
    const std::vector<double> probs = expected_probs(logits, temperature, size_t(top_k), top_p);
    // Skip draws whose nucleus boundary sits within rounding of top_p, or whose least likely
    // member is too rare to be seen in 3000 draws.
    const std::vector<int32_t> order = ut::ranked_by_logit(logits);
    std::vector<double> full = expected_probs(logits, temperature, size_t(top_k), 1.0);
    double cum = 0.0, min_p = 1.0;
    bool near = false;
    for (int32_t tok : order) {
      cum += full[size_t(tok)];
      near |= std::fabs(cum - double(top_p)) < 1e-6;
      if (probs[size_t(tok)] > 0) min_p = std::min(min_p, probs[size_t(tok)]);
    }
    if (near || min_p < 0.01) continue;
    ++checked;
    std::set<int32_t> nucleus, seen;
    for (size_t i = 0; i < probs.size(); ++i) if (probs[i] > 0) nucleus.insert(int32_t(i));
    SequenceRng seq(77 + uint64_t(trial));
    const SamplingParams params{temperature, top_p, top_k, 0};
    for (int i = 0; i < 3000; ++i) {
      const int32_t tok = sample_token(logits, params, seq);
      CAPTURE(trial, top_p, top_k, tok);
      REQUIRE(nucleus.count(tok) == 1);
      seen.insert(tok);
    }
    CAPTURE(trial, top_p, top_k, nucleus.size());
    CHECK(seen == nucleus);
  }
  CHECK(checked == 40);
}

TEST_CASE("empirical distribution matches softmax (chi-square, 20000 draws)", "[sampling]") {
  std::mt19937 rng(2718);
  const std::vector<float> logits = random_logits(rng, 10, 2.0f);
  // Critical chi-square values at p = 1e-4: df 9 -> 33.7, df 3 -> 21.1; the draws are
  // deterministic (fixed seeds), so this never flakes.
  const std::vector<std::pair<SamplingParams, double>> cases = {
      {{1.0f, 1.0f, 0, 11}, 33.7}, {{0.6f, 1.0f, 0, 12}, 33.7}, {{1.8f, 1.0f, 0, 13}, 33.7},
      {{1.0f, 1.0f, 4, 14}, 21.1}, {{1.3f, 0.7f, 0, 15}, 33.7}};
  for (const auto& [params, bound] : cases) {
    CAPTURE(params.temperature, params.top_k, params.top_p);
    const auto probs = expected_probs(logits, params.temperature, size_t(params.top_k), params.top_p);
    CHECK(chi_square(logits, params, 20000, probs) < bound);
  }
  // The test can fail: a distribution at the wrong temperature is rejected.
  const auto wrong = expected_probs(logits, 1.4, 0, 1.0);
  CHECK(chi_square(logits, {1.0f, 1.0f, 0, 11}, 20000, wrong) > 100.0);
}

TEST_CASE("the same seed gives the same tokens and another seed does not", "[sampling]") {
  std::mt19937 rng(8);
  const std::vector<float> logits = random_logits(rng, 50, 1.0f);
  const SamplingParams params{0.9f, 0.95f, 30, 0};
  auto draw = [&](uint64_t seed) {
    SequenceRng seq(seed);
    std::vector<int32_t> out;
    for (int i = 0; i < 300; ++i) out.push_back(sample_token(logits, params, seq));
    return out;
  };
  const auto a = draw(42), b = draw(42), c = draw(43);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::set<int32_t>(a.begin(), a.end()).size() > 5);
}

TEST_CASE("SequenceRng is SplitMix64 and uniform() lies in the half-open unit interval", "[sampling]") {
  // Reference outputs of Vigna's splitmix64.c seeded with 1234567.
  SequenceRng known(1234567);
  CHECK(known.next() == 6457827717110365317ull);
  CHECK(known.next() == 3203168211198807973ull);
  CHECK(known.next() == 9817491932198370423ull);
  CHECK(known.next() == 4593380528125082431ull);
  CHECK(known.next() == 16408922859458223821ull);

  SequenceRng seq(99);
  double sum = 0.0, lo = 1.0, hi = 0.0;
  const int n = 1'000'000;
  std::vector<int> bins(10, 0);
  for (int i = 0; i < n; ++i) {
    const double u = seq.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    ++bins[size_t(u * 10)];
  }
  CHECK(std::fabs(sum / n - 0.5) < 2e-3);
  CHECK(lo < 1e-5);
  CHECK(hi > 1 - 1e-5);
  for (int b : bins) CHECK(std::abs(b - n / 10) < 1500);  // ~5 standard deviations
}

TEST_CASE("penalties follow OpenAI's formula over the generated tokens' counts", "[sampling]") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t vocab = size_t(ut::random_int(rng, 1, 40));
    const std::vector<float> logits = random_logits(rng, vocab, 5.0f);
    std::vector<int32_t> generated(size_t(ut::random_int(rng, 0, 30)));
    for (int32_t& t : generated) t = int32_t(ut::random_int(rng, 0, int(vocab) - 1));
    SamplingParams p;
    p.presence_penalty = float(ut::random_int(rng, -20, 20)) / 10.0f;
    p.frequency_penalty = float(ut::random_int(rng, -20, 20)) / 10.0f;
    std::vector<float> got = logits;
    apply_penalties(got, generated, p);
    for (size_t j = 0; j < vocab; ++j) {
      // Reference: logits[j] - c[j] * frequency - (c[j] > 0) * presence, in double.
      const double c = double(std::count(generated.begin(), generated.end(), int32_t(j)));
      const double want = double(logits[j]) - c * p.frequency_penalty -
                          (c > 0 ? double(p.presence_penalty) : 0.0);
      CHECK(std::fabs(got[j] - want) <= 1e-5 * (1.0 + std::fabs(want)));
    }
  }
}

TEST_CASE("zero penalties are off and leave the logits as they are", "[sampling]") {
  SamplingParams p;
  CHECK_FALSE(has_penalties(p));
  p.presence_penalty = 0.5f;
  CHECK(has_penalties(p));
  p = SamplingParams{};
  p.frequency_penalty = -0.5f;
  CHECK(has_penalties(p));
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  std::vector<float> same = logits;
  apply_penalties(same, std::vector<int32_t>{2, 2, 0}, SamplingParams{});
  CHECK(same == logits);
  // A penalty moves the greedy choice away from a token already generated twice.
  p = SamplingParams{};
  p.frequency_penalty = 1.0f;
  std::vector<float> penalized = logits;
  apply_penalties(penalized, std::vector<int32_t>{2, 2}, p);
  CHECK(argmax(penalized) == 1);
  CHECK(penalized == std::vector<float>{1.0f, 2.0f, 1.0f});
}

}  // namespace strata
