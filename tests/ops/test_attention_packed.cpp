// attention over a compressed (q4/q8, groups along head_dim) KV cache, on fresh random inputs
// (seed printed on failure), with grouped-query heads and windows, on every backend (CPU, and
// CUDA where a GPU answers: strata_test_ops_cuda runs these files on the CUDA backends):
//   - against a float64 reference over the cache dequantized by quant's scalar reference
//     (the arithmetic of the kernel, to fp32 rounding);
//   - bit for bit equal to the backend's fp32 kernel over that same dequantized cache (the CPU
//     keeps its order of operations; CUDA dequantizes into the fp32 tile its fp32 path stages);
//   - against float64 attention over the original, unquantized keys and values, within a bound
//     derived from each group's quantization step (the accuracy cost of compression).
// Extreme groups, garbage in unread slots and argument checks: test_attention_packed_edges.cpp.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/packed_cache.h"

namespace strata::ops_test {
namespace {

// Bound on |x - dequant(x)| for each element, from its group's range (quant_test_util's float64
// re-derivation of the documented bound: half a step plus fp16/fp32 rounding slack).
std::vector<double> element_bounds(const PackedCase& c, const std::vector<float>& x) {
  const int bits = c.format.element.dtype == DType::q4 ? 4 : 8;
  const int64_t g = c.format.element.group_size;
  std::vector<double> bound(x.size());
  for (int64_t r = 0; r < int64_t(x.size()) / c.d; ++r) {  // r: one (slot, KV head) row
    for (int64_t c0 = 0; c0 < c.d; c0 += g) {
      const int64_t n = std::min(g, c.d - c0);
      double lo = x[size_t(r * c.d + c0)], hi = lo;
      for (int64_t i = 0; i < n; ++i) {
        lo = std::min(lo, double(x[size_t(r * c.d + c0 + i)]));
        hi = std::max(hi, double(x[size_t(r * c.d + c0 + i)]));
      }
      for (int64_t i = 0; i < n; ++i) {
        const size_t at = size_t(r * c.d + c0 + i);
        bound[at] = quant::test::error_bound(lo, hi, x[at], bits);
      }
    }
  }
  return bound;
}

// Per output element, a bound on |attention(quantized) - attention(exact)| in float64:
// each score moves by at most delta = scale * sum_i |q_i| * kbound_i, so every softmax weight
// changes by a factor within e^(+-2 delta) and sum_s |p'_s - p_s| <= e^(2 delta) - 1; since both
// weight sets sum to 1, out' - out = sum p' (v' - v) + sum (p' - p)(v - mid) is at most
// max |v' - v| + (e^(2 delta) - 1) * half the range of v over the visible slots.
std::vector<double> quantization_bound(const PackedCase& c) {
  const std::vector<double> kb = element_bounds(c, c.k), vb = element_bounds(c, c.v);
  const int64_t e = c.e(), kv_e = c.kv_e();
  std::vector<double> out(size_t(c.b * c.t * e), 0.0);
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t t = 0; t < c.t; ++t) {
      for (int64_t h = 0; h < c.heads; ++h) {
        const int64_t g = c.kv_head_of(h);
        double delta = 0.0;
        for (int64_t s = 0; s < c.s; ++s) {
          if (!c.sees(b, t, s)) continue;
          double d = 0.0;
          for (int64_t i = 0; i < c.d; ++i) {
            d += std::fabs(double(c.q[size_t((b * c.t + t) * e + h * c.d + i)])) *
                 kb[size_t((b * c.s + s) * kv_e + g * c.d + i)];
          }
          delta = std::max(delta, d * double(c.scale));
        }
        const double spread = std::expm1(2.0 * delta);
        for (int64_t i = 0; i < c.d; ++i) {
          double lo = INFINITY, hi = -INFINITY, dv = 0.0;
          for (int64_t s = 0; s < c.s; ++s) {
            if (!c.sees(b, t, s)) continue;
            const size_t at = size_t((b * c.s + s) * kv_e + g * c.d + i);
            lo = std::min(lo, double(c.v[at]));
            hi = std::max(hi, double(c.v[at]));
            dv = std::max(dv, vb[at]);
          }
          if (lo > hi) continue;  // nothing visible: both outputs are zero
          out[size_t((b * c.t + t) * e + h * c.d + i)] = dv + spread * (hi - lo) / 2.0;
        }
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("packed attention: float64 reference and fp32 kernel bitwise and quantization bound",
          "[ops][quant]") {
  const uint64_t seed = quant::test::fresh_seed();
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    std::mt19937 rng{static_cast<unsigned>(seed)};
    double worst_fraction_of_bound[2] = {0, 0};
    for (int trial = 0; trial < 60; ++trial) {
      const DType bits = trial % 2 ? DType::q8 : DType::q4;
      const int64_t group = trial % 5 == 4 ? 8 * ut::random_int(rng, 1, 8) : 0;  // 0: default
      PackedCase c = random_packed_case(rng, bits, group, trial / 2);
      CAPTURE(trial, dtype_name(bits), c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first, c.window,
              c.format.element.group_size);
      Packed p = pack(c);
      const std::vector<float> out = run_attention_packed(be, c, c.format, p.k, p.v);

      // The arithmetic: float64 attention over the reference-dequantized cache.
      const std::vector<double> ref = ut::attention_reference(c, p.k_deq, p.v_deq, 0, c.s).out;
      CHECK(ut::normalized_error(out, ref) < 1e-5);
      // The same fp32 operations as the backend's own fp32 kernel over that dequantized cache:
      // the CPU keeps its order of operations; CUDA dequantizes into the fp32 tile its fp32 path
      // stages, and computes the same from there.
      CHECK(bitwise_equal(out, run_attention_f32(be, c, p)));

      // The accuracy: float64 attention over the original values, within the bound derived from
      // each group's quantization step.
      const std::vector<double> exact = ut::attention_reference(c).out;
      const std::vector<double> bound = quantization_bound(c);
      double worst = 0.0;
      for (size_t i = 0; i < out.size(); ++i) {
        REQUIRE(std::isfinite(out[i]));
        const double err = std::fabs(double(out[i]) - exact[i]);
        CAPTURE(i, out[i], exact[i], bound[i]);
        REQUIRE(err <= bound[i] * (1 + 1e-6) + 1e-5);
        if (bound[i] > 0) worst = std::max(worst, err / bound[i]);
      }
      double& w = worst_fraction_of_bound[bits == DType::q8];
      w = std::max(w, worst);
    }
    // Quantization really happened (q4's error is a visible part of its bound), and q8 is finer.
    CHECK(worst_fraction_of_bound[0] > 0.01);
    CHECK(worst_fraction_of_bound[1] > 0.0);
  });
}

}  // namespace strata::ops_test
