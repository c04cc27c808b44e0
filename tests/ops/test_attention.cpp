// attention over an fp32 KV cache on every backend against the float64 reference: random batch,
// positions, cache length, heads and head_dim (1 .. 128, odd sizes); prefill, decode and chunked
// queries; key_valid masks including a query whose every visible key is masked (its output is
// exactly zero); NaN garbage in slots that must never be read; long prompts spanning many of
// CUDA's 16-query x 32-key tiles; causality bit for bit; one visible key gives its value exactly;
// and the head_dim limit of a backend that has one.
// Tolerance: normalized error 1e-5 (fp32 arithmetic), 3e-5 for caches of hundreds of slots.
// Grouped-query heads and windows: test_attention_gqa.cpp; packed caches:
// test_attention_packed.cpp.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/attention_runner.h"

namespace strata::ops_test {
namespace {

using Case = ut::AttentionCase;
using Mode = ut::AttentionMode;

// The last sequence's first query sees only masked slots (a left-padded sequence).
void mask_first_query_of_last_sequence(Case& c) {
  for (int64_t s = 0; s <= c.first; ++s) c.valid[size_t((c.b - 1) * c.s + s)] = 0;
}

Case case_with_shape(std::mt19937& rng, int64_t b, int64_t t, int64_t s, int64_t heads, int64_t d,
                     int64_t first, double keep_rate) {
  Case c{b, t, s, heads, d, first, 0.0f, {}, {}, {}, {}};
  c.scale = float(1.0 / std::sqrt(double(d))) * float(ut::random_int(rng, 5, 20)) / 10.0f;
  c.q = ut::random_floats(rng, size_t(b * t * c.e()));
  c.k = ut::random_floats(rng, size_t(b * s * c.e()));
  c.v = ut::random_floats(rng, size_t(b * s * c.e()));
  std::bernoulli_distribution keep(keep_rate);
  c.valid.resize(size_t(b * s));
  for (auto& x : c.valid) x = keep(rng) ? 1 : 0;
  mask_first_query_of_last_sequence(c);
  ut::poison_unseen_slots(c);
  return c;
}

int64_t random_head_dim(std::mt19937& rng, int trial) {
  static const int64_t dims[] = {32, 48, 64, 80, 96, 100, 128};
  return trial % 2 ? ut::random_int(rng, 1, 20) : dims[size_t(trial / 2) % 7];
}

// New keys / values after slot first + cut change nothing for queries 0..cut, bit for bit; and
// (sanity of the check) they change some later query's output unless every such slot is masked.
void check_causality(OpBackend& be, const Case& c, const std::vector<float>& base, int64_t cut) {
  Case changed = c;
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t s = c.first + cut + 1; s < c.s; ++s)
      for (int64_t i = 0; i < c.e(); ++i) {
        changed.k[size_t((b * c.s + s) * c.e() + i)] += 3.0f;
        changed.v[size_t((b * c.s + s) * c.e() + i)] -= 5.0f;
      }
  const std::vector<float> after = run_attention(be, changed);
  bool later_changed = false, any_visible = false;
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t t = 0; t < c.t; ++t) {
      for (int64_t i = 0; i < c.e(); ++i) {
        const size_t at = size_t((b * c.t + t) * c.e() + i);
        if (t <= cut) {
          CAPTURE(cut, b, t, i);
          REQUIRE(after[at] == base[at]);
        } else if (after[at] != base[at]) {
          later_changed = true;
        }
      }
    }
    for (int64_t s = c.first + cut + 1; s < c.first + c.t; ++s)
      any_visible |= c.valid[size_t(b * c.s + s)] != 0;
  }
  CHECK(later_changed == any_visible);
}

}  // namespace

TEST_CASE("attention matches float64 with masks and causality on small random caches", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(31337);
    for (int trial = 0; trial < 90; ++trial) {
      const Mode mode = Mode(trial % 3);
      const bool mask_a_query = trial % 2 == 1;
      Case c = ut::random_attention_case(rng, mode, {});
      if (mask_a_query) mask_first_query_of_last_sequence(c);
      CAPTURE(trial, int(mode), c.b, c.t, c.s, c.heads, c.d, c.first, c.scale, mask_a_query);
      const std::vector<double> ref = ut::attention_reference(c).out;
      // Garbage (NaN) in masked slots and in slots after the last query must never be read.
      Case dirty = c;
      ut::poison_unseen_slots(dirty);
      const std::vector<float> out = run_attention(be, dirty);
      check_attention_output(out, ref, 1e-5);
      if (mask_a_query) {
        const int64_t row = (c.b - 1) * c.t;  // that sequence's first query
        for (int64_t i = 0; i < c.e(); ++i) REQUIRE(out[size_t(row * c.e() + i)] == 0.0f);
      }
      const std::vector<float> base = run_attention(be, c);
      for (int64_t cut = 0; cut + 1 < c.t; ++cut) check_causality(be, c, base, cut);
    }
  });
}

TEST_CASE("attention matches float64 with head_dim up to 128 and odd sizes in every mode",
          "[ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 120; ++trial) {
      const int64_t b = ut::random_int(rng, 1, 3), heads = ut::random_int(rng, 1, 4);
      const int64_t d = random_head_dim(rng, trial), s = ut::random_int(rng, 2, 70);
      int64_t t = 1, first = 0;
      switch (trial % 3) {
        case 0:  // prefill
          t = ut::random_int(rng, 1, s);
          break;
        case 1:  // decode
          first = ut::random_int(rng, 0, s - 1);
          break;
        default:  // a chunk after cached slots
          first = ut::random_int(rng, 1, s - 1), t = ut::random_int(rng, 1, s - first);
      }
      CAPTURE(trial, b, t, s, heads, d, first);
      const Case c = case_with_shape(rng, b, t, s, heads, d, first, 0.75);
      check_attention_output(run_attention(be, c), ut::attention_reference(c).out, 1e-5);
    }
  });
}

TEST_CASE("attention over long prompts and long caches spans many tiles", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(4242);
    struct Long {
      int64_t b, t, s, heads, d, first;
    };
    for (const Long& l : {Long{2, 300, 300, 2, 64, 0},      // prefill: 19 query x 10 key tiles
                          Long{1, 257, 700, 3, 128, 0},     // prefill into a longer cache
                          Long{3, 1, 1500, 4, 64, 1499},    // decode at the end of a long cache
                          Long{2, 1, 1000, 2, 80, 612},     // decode mid-cache (later slots NaN)
                          Long{2, 77, 600, 2, 96, 400}}) {  // a chunk after a cached prefix
      CAPTURE(l.b, l.t, l.s, l.heads, l.d, l.first);
      const Case c = case_with_shape(rng, l.b, l.t, l.s, l.heads, l.d, l.first, 0.9);
      check_attention_output(run_attention(be, c), ut::attention_reference(c).out, 3e-5);
    }
  });
}

TEST_CASE("attention is causal bit for bit on long prompts and keeps its head_dim limit", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(77);
    const Case c = case_with_shape(rng, 2, 40, 60, 2, 64, 10, 1.0);
    const std::vector<float> base = run_attention(be, c);
    for (int64_t cut : {0, 5, 17, 38}) check_causality(be, c, base, cut);
    const Case wide = case_with_shape(rng, 1, 1, 4, 1, 129, 3, 1.0);
    if (be.max_head_dim > 0 && wide.d > be.max_head_dim) {
      CHECK_THROWS_AS(run_attention(be, wide), Error);
    } else {
      check_attention_output(run_attention(be, wide), ut::attention_reference(wide).out, 1e-5);
    }
  });
}

TEST_CASE("attention with one visible key returns that key's value exactly", "[ops]") {
  // Softmax over a single slot is 1: out == v exactly, whatever q, k and scale are.
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(5);
    Case c;
    c.b = 2, c.t = 1, c.s = 6, c.heads = 2, c.d = 3, c.first = 4, c.scale = 0.7f;
    c.q = ut::random_floats(rng, size_t(c.b * c.t * c.e()), 10.0f);
    c.k = ut::random_floats(rng, size_t(c.b * c.s * c.e()), 10.0f);
    c.v = ut::random_floats(rng, size_t(c.b * c.s * c.e()));
    c.valid = {0, 0, 1, 0, 0, 1,   // sequence 0: slot 2 (slot 5 is after the query)
               0, 0, 0, 0, 1, 0};  // sequence 1: slot 4, the query's own
    const std::vector<float> out = run_attention(be, c);
    for (int64_t i = 0; i < c.e(); ++i) {
      CHECK(out[size_t(i)] == c.v[size_t(2 * c.e() + i)]);
      CHECK(out[size_t(c.e() + i)] == c.v[size_t((c.s + 4) * c.e() + i)]);
    }
  });
}

}  // namespace strata::ops_test
