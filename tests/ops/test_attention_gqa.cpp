// Grouped-query attention and sliding windows (AttentionArgs::num_kv_heads, window) over fp32
// caches on every backend, against the float64 reference (which maps query head h to KV head
// h / (heads / kv_heads) and limits query slot p to slots (p - window, p]):
//   - 1 KV head (multi-query) and 2 KV heads, with head_dim unrelated to any model width (q is
//     heads * head_dim wide, the cache kv_heads * head_dim);
//   - random groupings and windows over prefill, decode and chunked queries, with masks and NaN
//     in every slot no query may read (including slots that fell out of every window);
//   - a grouped call equals the ungrouped call over the KV heads repeated (transformers
//     repeat_kv) bit for bit, and a window as long as the cache equals no window bit for bit.
// Tolerance: normalized error 1e-5, as without grouping.
#include <random>
#include <vector>

#include "ops/attention_runner.h"

namespace strata::ops_test {
namespace {

using Case = ut::AttentionCase;
using Mode = ut::AttentionMode;

// The same case with every KV head repeated for the query heads it serves: kv_heads = heads.
Case repeat_kv(const Case& c) {
  Case r = c;
  r.kv_heads = 0;
  r.k.assign(size_t(c.b * c.s * c.e()), 0.0f);
  r.v = r.k;
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t s = 0; s < c.s; ++s)
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t i = 0; i < c.d; ++i) {
          const size_t from = size_t((b * c.s + s) * c.kv_e() + c.kv_head_of(h) * c.d + i);
          const size_t to = size_t((b * c.s + s) * c.e() + h * c.d + i);
          r.k[to] = c.k[from];
          r.v[to] = c.v[from];
        }
  return r;
}

}  // namespace

TEST_CASE("grouped-query attention with 1 and 2 KV heads matches float64", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 48; ++trial) {
      const Mode mode = Mode(trial % 3);
      Case c = ut::random_attention_case(rng, mode,
                                         {.max_head_dim = 40, .max_slots = 40, .max_heads = 8});
      c.heads = 2 * ut::random_int(rng, 1, 4);  // even, so both 1 and 2 KV heads divide it
      c.kv_heads = trial % 2 ? 1 : 2;
      c.q = ut::random_floats(rng, size_t(c.b * c.t * c.e()));
      c.k = ut::random_floats(rng, size_t(c.b * c.s * c.kv_e()));
      c.v = ut::random_floats(rng, size_t(c.b * c.s * c.kv_e()));
      ut::poison_unseen_slots(c);
      CAPTURE(trial, int(mode), c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first);
      const std::vector<float> out = run_attention(be, c);
      check_attention_output(out, ut::attention_reference(c).out, 1e-5);
      CHECK(out == run_attention(be, repeat_kv(c)));
    }
  });
}

TEST_CASE("sliding-window attention with random groupings matches float64", "[ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 120; ++trial) {
      const Mode mode = Mode(trial % 3);
      Case c = ut::random_attention_case(rng, mode,
                                         {.max_head_dim = trial % 4 == 0 ? 128 : 24,
                                          .max_slots = trial % 5 == 0 ? 200 : 40,
                                          .min_prefill_queries = 1,
                                          .min_decode_slot = 0,
                                          .max_heads = 6,
                                          .grouped = true,
                                          .windowed = true});
      if (trial % 7 == 0) c.window = 1;  // each query sees only its own slot
      // The last sequence's first query sees only masked slots (a left-padded sequence).
      for (int64_t s = 0; s <= c.first; ++s) c.valid[size_t((c.b - 1) * c.s + s)] = 0;
      ut::poison_unseen_slots(c);
      CAPTURE(trial, int(mode), c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first, c.window);
      check_attention_output(run_attention(be, c), ut::attention_reference(c).out,
                             c.s > 100 ? 3e-5 : 1e-5);
    }
  });
}

TEST_CASE("a window covering the cache equals no window and a window of 1 sees one slot", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(99);
    for (int trial = 0; trial < 12; ++trial) {
      Case c = ut::random_attention_case(rng, Mode(trial % 3),
                                         {.max_slots = 50, .keep = 1.0, .grouped = true});
      CAPTURE(trial, c.b, c.t, c.s, c.heads, c.kv_heads, c.first);
      const std::vector<float> unlimited = run_attention(be, c);
      c.window = c.s;  // query slots are < s: every slot <= p is inside (p - s, p]
      CHECK(run_attention(be, c) == unlimited);
      // window 1: every query sees its own slot only, so its output is that slot's value.
      c.window = 1;
      const std::vector<float> own = run_attention(be, c);
      for (int64_t b = 0; b < c.b; ++b)
        for (int64_t t = 0; t < c.t; ++t)
          for (int64_t h = 0; h < c.heads; ++h)
            for (int64_t i = 0; i < c.d; ++i) {
              const size_t at = size_t((b * c.t + t) * c.e() + h * c.d + i);
              const size_t v =
                  size_t((b * c.s + c.first + t) * c.kv_e() + c.kv_head_of(h) * c.d + i);
              CAPTURE(b, t, h, i);
              REQUIRE(own[at] == c.v[v]);
            }
    }
  });
}

}  // namespace strata::ops_test
