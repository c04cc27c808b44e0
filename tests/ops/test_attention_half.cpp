// attention over a half-precision (f16, bf16) KV cache — the default cache — on every backend, on
// fresh random inputs (seed printed on failure) with grouped-query heads, windows, masks and NaN
// garbage in every slot no query may read:
//   - against a float64 reference over the stored halves, decoded from their bit fields
//     (reference/half_reference.h, independent of the engine's converters): the kernels' fp32
//     arithmetic over exactly widened elements, normalized error 1e-5 as for fp32 caches;
//   - bit for bit equal to the backend's fp32 kernel over the widened cache (the CPU widens in
//     its inner loops, CUDA as it stages its fp32 tile: the operations after the load are the
//     fp32 kernel's);
//   - partial attention over a half cache part (attention_partial.h) is the full call's result.
// (The CPU kernels' widening of every f16 and bf16 code: tests/quant/test_attention_rows.cpp.)
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "ops/attention_runner.h"
#include "ops/cache_parts.h"
#include "ops/reference/half_reference.h"
#include "quant/quant_test_util.h"

namespace strata::ops_test {
namespace {

// The case's K and V stored as a half cache (the KV cache's own writer; its rounding is checked
// by test_store_rows.cpp), and the same halves decoded to float by the float64 reference.
struct HalfCache {
  KvFormat format;
  std::vector<uint8_t> k, v;           // [b, s] slot rows of format.slot_bytes()
  std::vector<float> k_wide, v_wide;   // the stored values, decoded
};

HalfCache store_half(const ut::AttentionCase& c, DType t) {
  HalfCache h;
  h.format = kv_format(t, c.kvh(), c.d);
  for (auto [x, bytes, wide] : {std::tuple{&c.k, &h.k, &h.k_wide}, std::tuple{&c.v, &h.v, &h.v_wide}}) {
    bytes->resize(size_t(c.b * c.s) * h.format.slot_bytes());
    store_kv_rows(h.format, x->data(), c.b * c.s, bytes->data());
    wide->resize(x->size());
    for (size_t i = 0; i < x->size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes->data() + 2 * i, 2);
      (*wide)[i] = float(half_value(bits, t));  // exact: every half is a float
    }
  }
  return h;
}

}  // namespace

TEST_CASE("half KV cache attention: float64 reference and the fp32 kernel bit for bit", "[ops]") {
  const uint64_t seed = quant::test::fresh_seed();
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    std::mt19937 rng{static_cast<unsigned>(seed)};
    for (int trial = 0; trial < 48; ++trial) {
      const DType t = trial % 2 ? DType::bf16 : DType::f16;
      ut::AttentionCase c = ut::random_attention_case(
          rng, ut::AttentionMode(trial / 2 % 3),
          {.max_head_dim = be.max_head_dim > 0 ? 96 : 130, .max_slots = 40, .max_heads = 6,
           .grouped = true, .windowed = trial % 3 == 0});
      ut::poison_unseen_slots(c);  // NaN: stored as NaN halves, never read
      CAPTURE(trial, dtype_name(t), c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first, c.window);
      const HalfCache h = store_half(c, t);
      const std::vector<float> out = run_attention_packed(be, c, h.format, h.k, h.v);
      check_attention_output(out, ut::attention_reference(c, h.k_wide, h.v_wide, 0, c.s).out,
                             1e-5);
      ut::AttentionCase wide = c;
      wide.k = h.k_wide;
      wide.v = h.v_wide;
      CHECK(out == run_attention(be, wide));
    }
  });
}

TEST_CASE("half KV cache: partial attention over the whole cache is the full call", "[ops]") {
  for_each_backend([](OpBackend& be) {
    if (!be.attention_partial) return;  // not offered by this backend
    std::mt19937 rng(77);
    for (DType t : {DType::f16, DType::bf16}) {
      ut::AttentionCase c = ut::random_attention_case(
          rng, ut::AttentionMode::decode, {.max_head_dim = 48, .max_slots = 30, .grouped = true});
      CAPTURE(dtype_name(t), c.b, c.s, c.heads, c.kv_heads, c.d, c.first);
      const HalfCache h = store_half(c, t);
      const CachePart part(c, 0, c.s);
      DeviceData q(*be, c.q), k(*be, h.k), v(*be, h.v), out(*be, part.out),
          max(*be, part.max), sum(*be, part.sum);
      be.attention_partial(partial_args(
          c, part, q.tensor(DType::f32, {c.b, c.t, c.e()}), kv_view(h.format, k.data(), c.b, c.s,
          Place::device), kv_view(h.format, v.data(), c.b, c.s, Place::device),
          out.tensor(DType::f32, {c.b, c.t, c.e()}), max.tensor(DType::f32, {c.b, c.t, c.heads}),
          sum.tensor(DType::f32, {c.b, c.t, c.heads})));
      CHECK(out.floats() == run_attention_packed(be, c, h.format, h.k, h.v));
    }
  });
}

}  // namespace strata::ops_test
