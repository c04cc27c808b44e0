// CPU attention over a compressed (q4/q8, groups along head_dim) KV cache, on fresh random
// inputs (seed printed on failure):
//   - against a float64 reference over the cache dequantized by quant's scalar reference
//     (the arithmetic of the kernel, to fp32 rounding);
//   - bit for bit equal to the fp32 kernel over that same dequantized cache (the kernel keeps
//     its order of operations);
//   - against float64 attention over the original, unquantized keys and values, within a bound
//     derived from each group's quantization step (the accuracy cost of compression);
// plus extreme groups (constant rows, huge ranges next to tiny ones, negative zero, values
// beyond fp16, NaN) and argument checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/quantize_matrix.h"
#include "engine/models/kv_format.h"
#include "quant/quant_test_util.h"
#include "quant/reference.h"
#include "attention_reference.h"
#include "test_support.h"

namespace strata {
namespace {

struct Case : ut::AttentionCase {
  KvFormat format;  // q, k, v, valid as in the base; k, v fp32 before quantization
};

struct Packed {
  std::vector<uint8_t> k, v;        // [b, s] slot rows of format.slot_bytes()
  std::vector<float> k_deq, v_deq;  // the same, dequantized by quant's reference
};

Packed pack(const Case& c) {
  Packed p;
  const size_t bytes = size_t(c.b * c.s) * c.format.slot_bytes();
  p.k.resize(bytes);
  p.v.resize(bytes);
  store_kv_rows(c.format, c.k.data(), c.b * c.s, p.k.data());
  store_kv_rows(c.format, c.v.data(), c.b * c.s, p.v.data());
  const quant::QuantFormat qf = quant_format_of(c.format.element);
  for (auto [packed, out] : {std::pair{&p.k, &p.k_deq}, std::pair{&p.v, &p.v_deq}}) {
    out->resize(size_t(c.b * c.s * c.e()));
    quant::dequantize_ref({qf, packed->data(), c.b * c.s * c.heads, c.d}, 0, c.b * c.s * c.heads,
                          out->data());
  }
  return p;
}

// Float64 attention of c.q over keys/values k, v ([b, s, e]); zero rows where nothing is seen.
std::vector<double> attention_ref(const Case& c, const std::vector<float>& k,
                                  const std::vector<float>& v) {
  return ut::attention_reference(c, k, v, 0, c.s).out;
}

AttentionArgs args_for(Case& c, Tensor k, Tensor v, std::vector<float>& out) {
  out.assign(size_t(c.b * c.t * c.e()), std::numeric_limits<float>::quiet_NaN());
  AttentionArgs a;
  a.q = Tensor(c.q.data(), DType::f32, {c.b, c.t, c.e()});
  a.k_cache = k;
  a.v_cache = v;
  a.key_valid = c.valid.data();
  a.first_query_slot = c.first;
  a.num_heads = c.heads;
  a.scale = c.scale;
  a.out = Tensor(out.data(), DType::f32, {c.b, c.t, c.e()});
  return a;
}

std::vector<float> run_packed(Backend& be, Case& c, Packed& p) {
  std::vector<float> out;
  be.attention(args_for(c, kv_view(c.format, p.k.data(), c.b, c.s),
                        kv_view(c.format, p.v.data(), c.b, c.s), out));
  return out;
}

std::vector<float> run_f32(Backend& be, Case& c, std::vector<float>& k, std::vector<float>& v) {
  std::vector<float> out;
  be.attention(args_for(c, Tensor(k.data(), DType::f32, {c.b, c.s, c.e()}),
                        Tensor(v.data(), DType::f32, {c.b, c.s, c.e()}), out));
  return out;
}

// Bound on |x - dequant(x)| for each element, from its group's range (quant_test_util's float64
// re-derivation of the documented bound: half a step plus fp16/fp32 rounding slack).
std::vector<double> element_bounds(const Case& c, const std::vector<float>& x) {
  const int bits = c.format.element.dtype == DType::q4 ? 4 : 8;
  const int64_t g = c.format.element.group_size;
  std::vector<double> bound(x.size());
  for (int64_t r = 0; r < int64_t(x.size()) / c.d; ++r) {  // r: one (slot, head) row
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
std::vector<double> quantization_bound(const Case& c) {
  const std::vector<double> kb = element_bounds(c, c.k), vb = element_bounds(c, c.v);
  const int64_t e = c.e();
  std::vector<double> out(size_t(c.b * c.t * e), 0.0);
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t t = 0; t < c.t; ++t) {
      for (int64_t h = 0; h < c.heads; ++h) {
        double delta = 0.0;
        for (int64_t s = 0; s <= c.first + t; ++s) {
          if (!c.valid[size_t(b * c.s + s)]) continue;
          double d = 0.0;
          for (int64_t i = 0; i < c.d; ++i) {
            d += std::fabs(double(c.q[size_t((b * c.t + t) * e + h * c.d + i)])) *
                 kb[size_t((b * c.s + s) * e + h * c.d + i)];
          }
          delta = std::max(delta, d * double(c.scale));
        }
        const double spread = std::expm1(2.0 * delta);
        for (int64_t i = 0; i < c.d; ++i) {
          double lo = INFINITY, hi = -INFINITY, dv = 0.0;
          for (int64_t s = 0; s <= c.first + t; ++s) {
            if (!c.valid[size_t(b * c.s + s)]) continue;
            const size_t at = size_t((b * c.s + s) * e + h * c.d + i);
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

Case random_case(std::mt19937& rng, DType bits, int64_t group, int mode) {
  Case c;
  c.b = ut::random_int(rng, 1, 3);
  c.heads = ut::random_int(rng, 1, 4);
  c.d = 8 * ut::random_int(rng, 1, 12);  // up to 96: one or two groups per head
  c.s = ut::random_int(rng, 2, 40);
  switch (mode % 3) {
    case 0: c.first = 0, c.t = ut::random_int(rng, 2, c.s); break;            // prefill
    case 1: c.t = 1, c.first = ut::random_int(rng, 1, c.s - 1); break;        // decode
    default:
      c.first = ut::random_int(rng, 1, c.s - 1);
      c.t = ut::random_int(rng, 1, c.s - c.first);
  }
  c.format = kv_format(bits, c.heads, c.d);
  if (group > 0) c.format.element.group_size = int32_t(group);  // a ragged or smaller group
  c.scale = float(1.0 / std::sqrt(double(c.d)));
  c.q = ut::random_floats(rng, size_t(c.b * c.t * c.e()));
  c.k = ut::random_floats(rng, size_t(c.b * c.s * c.e()));
  c.v = ut::random_floats(rng, size_t(c.b * c.s * c.e()));
  std::bernoulli_distribution keep(0.8);
  c.valid.resize(size_t(c.b * c.s));
  for (auto& x : c.valid) x = keep(rng) ? 1 : 0;
  return c;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("packed attention: float64 reference, fp32 kernel bitwise, quantization bound",
          "[ops][quant]") {
  auto backend = make_backend(BackendKind::cpu);
  const uint64_t seed = quant::test::fresh_seed();
  CAPTURE(seed);
  std::mt19937 rng{static_cast<unsigned>(seed)};
  double worst_fraction_of_bound[2] = {0, 0};
  for (int trial = 0; trial < 60; ++trial) {
    const DType bits = trial % 2 ? DType::q8 : DType::q4;
    const int64_t group = trial % 5 == 4 ? 8 * ut::random_int(rng, 1, 8) : 0;  // 0: the default
    Case c = random_case(rng, bits, group, trial / 2);
    CAPTURE(trial, dtype_name(bits), c.b, c.t, c.s, c.heads, c.d, c.first,
            c.format.element.group_size);
    Packed p = pack(c);
    const std::vector<float> out = run_packed(*backend, c, p);

    // The arithmetic: float64 attention over the reference-dequantized cache.
    const std::vector<double> ref = attention_ref(c, p.k_deq, p.v_deq);
    CHECK(ut::normalized_error(out, ref) < 1e-5);
    // The same fp32 operations as the fp32 kernel over that dequantized cache.
    CHECK(bitwise_equal(out, run_f32(*backend, c, p.k_deq, p.v_deq)));

    // The accuracy: float64 attention over the original values, within the bound derived from
    // each group's quantization step.
    const std::vector<double> exact = attention_ref(c, c.k, c.v);
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
}

TEST_CASE("packed attention: extreme groups", "[ops][quant]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(17);
  for (DType bits : {DType::q4, DType::q8}) {
    CAPTURE(dtype_name(bits));
    Case c;
    c.b = 1, c.t = 1, c.s = 6, c.heads = 3, c.d = 16, c.first = 5, c.scale = 0.25f;
    c.format = kv_format(bits, c.heads, c.d);
    c.q = ut::random_floats(rng, size_t(c.e()));
    c.k = ut::random_floats(rng, size_t(c.s * c.e()));
    c.v = ut::random_floats(rng, size_t(c.s * c.e()));
    c.valid.assign(size_t(c.s), 1);
    // Head 0: huge range (+-1e4) in its keys and values. Head 1: tiny values (1e-3). A group
    // never crosses a head, so head 1 keeps its own fine step.
    for (int64_t s = 0; s < c.s; ++s) {
      for (int64_t i = 0; i < c.d; ++i) {
        const size_t h0 = size_t(s * c.e() + i), h1 = h0 + size_t(c.d);
        c.k[h0] *= 1e4f, c.v[h0] *= 1e4f;
        c.k[h1] *= 1e-3f, c.v[h1] *= 1e-3f;
      }
    }
    // Slot 2: a constant row (every head), exactly an fp16 value: scale 0, stored exactly.
    // Slot 3: negative zeros in head 2's values and keys; slot 4: values beyond fp16 (7e4) in
    // head 0's values, saturated to 65504.
    for (int64_t i = 0; i < c.e(); ++i) {
      c.k[size_t(2 * c.e() + i)] = 0.375f;
      c.v[size_t(2 * c.e() + i)] = -1.5f;
    }
    for (int64_t i = 0; i < c.d; ++i) {
      c.k[size_t(3 * c.e() + 2 * c.d + i)] = -0.0f;
      c.v[size_t(3 * c.e() + 2 * c.d + i)] = i % 2 ? -0.0f : 0.0f;
    }
    c.v[size_t(4 * c.e() + 3)] = 7e4f;
    Packed p = pack(c);
    for (int64_t i = 0; i < c.e(); ++i) {
      CHECK(p.k_deq[size_t(2 * c.e() + i)] == 0.375f);
      CHECK(p.v_deq[size_t(2 * c.e() + i)] == -1.5f);
    }
    for (int64_t i = 0; i < c.d; ++i) {
      const float z = p.v_deq[size_t(3 * c.e() + 2 * c.d + i)];
      CHECK(z == 0.0f);
      CHECK(!std::signbit(z));  // the sign of zero is not kept: +0
    }
    // Saturated first, then quantized: within half a step (the group's scale) of 65504.
    const quant::QuantMatrix vm{quant_format_of(c.format.element), p.v.data(), c.s * c.heads, c.d};
    const float v_scale = quant::f16_to_f32(quant::group_header_ref(vm, 4 * c.heads, 3).scale);
    CHECK(std::fabs(p.v_deq[size_t(4 * c.e() + 3)] - 65504.0f) <= v_scale / 2 * 1.01f);
    CHECK(std::fabs(7e4f - 65504.0f) > v_scale / 2 * 1.01f + 1);  // so 7e4 itself would fail
    const int levels = bits == DType::q4 ? 15 : 255;
    for (int64_t s = 0; s < c.s; ++s) {
      if (s == 2) continue;
      for (int64_t i = 0; i < c.d; ++i) {  // head 1 keeps a step of its own range (~1e-3)
        const size_t at = size_t(s * c.e() + c.d + i);
        CHECK(std::fabs(p.k_deq[at] - c.k[at]) <= 8e-3 / levels + 1e-6);
      }
    }
    const std::vector<float> out = run_packed(*backend, c, p);
    const std::vector<double> ref = attention_ref(c, p.k_deq, p.v_deq);
    for (float x : out) REQUIRE(std::isfinite(x));
    CHECK(ut::normalized_error(out, ref) < 1e-5);
    CHECK(bitwise_equal(out, run_f32(*backend, c, p.k_deq, p.v_deq)));

    // NaN cannot be quantized: one error naming the token and the head.
    std::vector<float> bad(size_t(2 * c.e()), 1.0f);
    bad[size_t(c.e() + c.d + 5)] = std::numeric_limits<float>::quiet_NaN();
    std::vector<uint8_t> dst(2 * c.format.slot_bytes());
    CHECK_THROWS_WITH(store_kv_rows(c.format, bad.data(), 2, dst.data()),
                      Catch::Contains("token 1") && Catch::Contains("head 1") &&
                          Catch::Contains("nan"));
  }
}

TEST_CASE("packed attention: a padded query and masked slots", "[ops][quant]") {
  // Garbage bytes in masked and future slots are never read; a query with no visible slot
  // gives zeros, exactly as the fp32 kernel.
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(3);
  Case c;
  c.b = 2, c.t = 3, c.s = 9, c.heads = 2, c.d = 24, c.first = 4, c.scale = 0.3f;
  c.format = kv_format(DType::q4, c.heads, c.d);
  c.q = ut::random_floats(rng, size_t(c.b * c.t * c.e()));
  c.k = ut::random_floats(rng, size_t(c.b * c.s * c.e()));
  c.v = ut::random_floats(rng, size_t(c.b * c.s * c.e()));
  c.valid = {0, 1, 0, 1, 1, 1, 1, 0, 0,   // sequence 0
             0, 0, 0, 0, 0, 0, 1, 1, 1};  // sequence 1: its first query (slot 4) sees nothing
  Packed p = pack(c);
  Packed dirty = p;
  const size_t row = c.format.slot_bytes();
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t s = 0; s < c.s; ++s) {
      if (c.valid[size_t(b * c.s + s)] && s < c.first + c.t) continue;
      std::memset(dirty.k.data() + size_t(b * c.s + s) * row, 0xff, row);  // fp16 NaN headers
      std::memset(dirty.v.data() + size_t(b * c.s + s) * row, 0xff, row);
    }
  }
  const std::vector<float> out = run_packed(*backend, c, dirty);
  CHECK(bitwise_equal(out, run_packed(*backend, c, p)));
  for (int64_t i = 0; i < c.e(); ++i) CHECK(out[size_t(c.t * c.e() + i)] == 0.0f);
  for (float x : out) CHECK(std::isfinite(x));
}

TEST_CASE("packed attention: shapes and formats are checked", "[ops][quant]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(9);
  Case c;
  c.b = 1, c.t = 1, c.s = 4, c.heads = 2, c.d = 16, c.first = 2;
  c.format = kv_format(DType::q4, c.heads, c.d);
  c.q = ut::random_floats(rng, size_t(c.e()));
  c.k = ut::random_floats(rng, size_t(c.s * c.e()));
  c.v = c.k;
  c.valid.assign(size_t(c.s), 1);
  Packed p = pack(c);
  std::vector<float> out;
  const KvFormat q8 = kv_format(DType::q8, c.heads, c.d);
  std::vector<uint8_t> v8(size_t(c.s) * q8.slot_bytes());
  // K and V in different formats.
  CHECK_THROWS_WITH(backend->attention(args_for(c, kv_view(c.format, p.k.data(), 1, c.s),
                                                kv_view(q8, v8.data(), 1, c.s), out)),
                    Catch::Contains("attention shapes"));
  // A packed cache whose heads do not match num_heads.
  const KvFormat one_head = kv_format(DType::q4, 1, 32);
  CHECK_THROWS_WITH(backend->attention(args_for(c, kv_view(one_head, p.k.data(), 1, c.s),
                                                kv_view(one_head, p.v.data(), 1, c.s), out)),
                    Catch::Contains("attention shapes"));
  // An fp32 key cache with a packed value cache.
  std::vector<float> kf(size_t(c.s * c.e()));
  CHECK_THROWS_WITH(backend->attention(args_for(c, Tensor(kf.data(), DType::f32, {1, c.s, c.e()}),
                                                kv_view(c.format, p.v.data(), 1, c.s), out)),
                    Catch::Contains("attention shapes"));
}

}  // namespace strata
