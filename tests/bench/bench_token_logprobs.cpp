// A benchmark, not a test: what reporting logprobs costs per generated token and sequence.
// For each vocabulary size (OPT's fortunes example 3072, OPT 50272, Qwen2 151936) and k, the
// time of argmax over a logits row (what greedy decoding does anyway: the baseline) and of
// argmax + step_logprobs(row, token, k), best of 7 runs of 500 rows each, and their ratio.
//   build-dev/tests/strata_bench_token_logprobs
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "engine/generate/sampling.h"
#include "engine/generate/token_logprobs.h"

namespace {

using Clock = std::chrono::steady_clock;

// Microseconds per row of `work`, best of 7 runs over 500 rows.
template <typename Work>
double best_us_per_row(std::vector<float>& row, Work work) {
  double best = 1e30;
  for (int run = 0; run < 7; ++run) {
    const auto start = Clock::now();
    for (int r = 0; r < 500; ++r) {
      row[size_t(r) % row.size()] += 1e-3f;  // a new row each time, as a decode step gives
      work(row);
    }
    best = std::min(best, std::chrono::duration<double, std::micro>(Clock::now() - start).count() / 500);
  }
  return best;
}

}  // namespace

int main() {
  std::mt19937 rng(1);
  std::normal_distribution<float> logit(0.0f, 3.0f);
  volatile float sink = 0.0f;  // keeps the work
  std::printf("%8s %4s %14s %22s %7s\n", "vocab", "k", "argmax us/row", "+step_logprobs us/row",
              "ratio");
  for (const size_t vocab : {size_t(3072), size_t(50272), size_t(151936)}) {
    std::vector<float> row(vocab);
    for (float& x : row) x = logit(rng);
    const double base = best_us_per_row(row, [&](auto& r) { sink = sink + float(strata::argmax(r)); });
    for (const int32_t k : {0, 5, 20}) {
      const double with = best_us_per_row(row, [&](auto& r) {
        sink = sink + strata::step_logprobs(r, strata::argmax(r), k).chosen.logprob;
      });
      std::printf("%8zu %4d %14.1f %22.1f %7.2f\n", vocab, k, base, with, with / base);
    }
  }
  return 0;
}
