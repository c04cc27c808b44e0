// The attention row kernels (quant/attention_rows.h) on every instruction set this CPU runs (the
// portable scalar path included), for f32, f16 and bf16 rows with head sizes around the vector
// widths, rows at a stride wider than d and slot lists in any order:
//   - scores and weighted sums against a float64 sum over the same (exactly widened) values,
//     within the bound of any fp32 summation order ((n + 2) u sum |terms|);
//   - an f16/bf16 row gives bit for bit what its fp32 widening gives, read at another stride
//     (the contract the CPU attention's half and packed caches rely on);
//   - attention_row_f32 widens all 65536 codes of each type exactly;
//   - the softmax steps: masked scale and max exactly, exp within 2 ulp of float64 exp (0 where
//     it underflows), and the sum within the summation bound.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "quant/attention_rows.h"
#include "quant/fp16.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

namespace {

double half_code_value(uint16_t h, RowType type) {
  return test::half_code_value(h, type == RowType::kBf16);
}

// n rows of d elements at `stride` (gap elements hold NaN: never read), in `type`, and the
// values they hold as fp32 ([n, d], dense).
struct Rows {
  RowType type;
  int64_t n, d, stride;
  std::vector<float> f32;      // storage when type is kF32
  std::vector<uint16_t> half;  // storage otherwise
  std::vector<float> values;   // [n, d]
  AttentionRows view() const {
    return {type == RowType::kF32 ? static_cast<const void*>(f32.data()) : half.data(), type,
            stride, d};
  }
};

Rows make_rows(std::mt19937_64& rng, RowType type, int64_t n, int64_t d, int64_t stride) {
  Rows r{type, n, d, stride, {}, {}, test::random_matrix(rng, n, d, -2, 2)};
  if (type == RowType::kF32) {
    r.f32.assign(size_t(n * stride), std::nanf(""));
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < d; ++i) r.f32[size_t(s * stride + i)] = r.values[size_t(s * d + i)];
  } else {
    r.half.assign(size_t(n * stride), 0x7e00);  // NaN in both types' gaps
    for (int64_t s = 0; s < n; ++s) {
      for (int64_t i = 0; i < d; ++i) {
        const float v = r.values[size_t(s * d + i)];
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        const uint16_t h = type == RowType::kF16 ? f32_to_f16(v) : uint16_t(bits >> 16);
        r.half[size_t(s * stride + i)] = h;
        r.values[size_t(s * d + i)] = float(half_code_value(h, type));
      }
    }
  }
  return r;
}

const char* type_name(RowType t) {
  return t == RowType::kF32 ? "f32" : t == RowType::kF16 ? "f16" : "bf16";
}

}  // namespace

TEST_CASE("attention row kernels match float64 and a half row equals its fp32 widening",
          "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const double u = std::ldexp(1.0, -24);
  for (CpuIsa isa : runnable_cpu_isas()) {
    for (RowType type : {RowType::kF32, RowType::kF16, RowType::kBf16}) {
      for (int64_t d : {1, 7, 8, 15, 16, 17, 31, 33, 48, 64, 65, 80, 100, 128, 130, 257}) {
        CAPTURE(cpu_isa_name(isa), type_name(type), d);
        const int64_t n = 1 + int64_t(rng() % 40), stride = d + 1 + int64_t(rng() % 9);
        const Rows rows = make_rows(rng, type, n, d, stride);
        const std::vector<float> q = test::random_matrix(rng, 1, d, -1, 1);
        // A random list of slots: any order, some repeated, some rows never read.
        std::vector<int32_t> slots(size_t(1 + rng() % 12));
        for (auto& s : slots) s = int32_t(rng() % uint64_t(n));
        const int64_t count = int64_t(slots.size());
        std::vector<float> weights = test::random_matrix(rng, 1, count, 0, 1);
        const float scale = 0.125f + float(rng() % 8) / 8.0f;

        std::vector<float> scores(static_cast<size_t>(count)), out(static_cast<size_t>(d), std::nanf(""));
        attention_scores(q.data(), rows.view(), slots.data(), count, scale, scores.data(), isa);
        attention_weighted_sum(weights.data(), rows.view(), slots.data(), count, out.data(), isa);
        for (int64_t i = 0; i < count; ++i) {
          double exact = 0, magnitude = 0;
          for (int64_t p = 0; p < d; ++p) {
            const double t = double(q[size_t(p)]) * rows.values[size_t(slots[size_t(i)] * d + p)];
            exact += t;
            magnitude += std::fabs(t);
          }
          CAPTURE(i, scores[size_t(i)], exact * scale);
          REQUIRE(std::fabs(scores[size_t(i)] - exact * scale) <=
                  (double(d + 3) * u * magnitude + 1e-30) * scale);
        }
        for (int64_t p = 0; p < d; ++p) {
          double exact = 0, magnitude = 0;
          for (int64_t i = 0; i < count; ++i) {
            const double t =
                double(weights[size_t(i)]) * rows.values[size_t(slots[size_t(i)] * d + p)];
            exact += t;
            magnitude += std::fabs(t);
          }
          CAPTURE(p, out[size_t(p)], exact);
          REQUIRE(std::fabs(out[size_t(p)] - exact) <= double(count + 2) * u * magnitude + 1e-30);
        }

        // The same values as dense fp32 rows (stride d), read through the same kernels.
        const AttentionRows wide{rows.values.data(), RowType::kF32, d, d};
        std::vector<float> wide_scores(static_cast<size_t>(count)), wide_out(static_cast<size_t>(d));
        attention_scores(q.data(), wide, slots.data(), count, scale, wide_scores.data(), isa);
        attention_weighted_sum(weights.data(), wide, slots.data(), count, wide_out.data(), isa);
        CHECK(std::memcmp(scores.data(), wide_scores.data(), scores.size() * 4) == 0);
        CHECK(std::memcmp(out.data(), wide_out.data(), out.size() * 4) == 0);

        // attention_row_f32: the row's values, whatever the type.
        std::vector<float> row(static_cast<size_t>(d));
        attention_row_f32(rows.view(), slots[0], row.data(), isa);
        for (int64_t p = 0; p < d; ++p)
          REQUIRE(row[size_t(p)] == rows.values[size_t(slots[0] * d + p)]);
      }
    }
  }
}

TEST_CASE("attention_row_f32 widens every f16 and bf16 code exactly", "[quant]") {
  std::vector<uint16_t> codes(65536);
  for (uint32_t c = 0; c < 65536; ++c) codes[c] = uint16_t(c);
  std::vector<float> out(65536);
  for (CpuIsa isa : runnable_cpu_isas()) {
    for (RowType type : {RowType::kF16, RowType::kBf16}) {
      CAPTURE(cpu_isa_name(isa), type_name(type));
      attention_row_f32({codes.data(), type, 0, 65536}, 0, out.data(), isa);
      for (uint32_t c = 0; c < 65536; ++c) {
        const double want = half_code_value(uint16_t(c), type);
        CAPTURE(c, out[c], want);
        if (std::isnan(want)) {
          REQUIRE(std::isnan(out[c]));
        } else {
          REQUIRE(double(out[c]) == want);
          REQUIRE(std::signbit(out[c]) == std::signbit(want));
        }
      }
    }
  }
}

TEST_CASE("attention softmax kernels: masked scale and max exactly, exp and sum within 2 ulp",
          "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const double u = std::ldexp(1.0, -24);
  for (CpuIsa isa : runnable_cpu_isas()) {
    for (int64_t n : {1, 5, 8, 15, 16, 17, 31, 64, 100, 1000}) {
      for (bool masked : {false, true}) {
        CAPTURE(cpu_isa_name(isa), n, masked);
        const std::vector<float> x0 = test::random_matrix(rng, 1, n, -30, 30);
        std::vector<uint8_t> valid(static_cast<size_t>(n));
        for (auto& v : valid) v = rng() % 4 != 0;
        if (masked && n > 3) valid[0] = valid[size_t(n - 1)] = 0;
        const float scale = 0.5f + float(rng() % 5) / 4.0f;
        std::vector<float> x = x0;
        const float max = attention_scale_max(x.data(), masked ? valid.data() : nullptr, n, scale,
                                              isa);
        float want_max = neg_inf;
        for (int64_t i = 0; i < n; ++i) {
          const bool keep = !masked || valid[size_t(i)];
          REQUIRE(x[size_t(i)] == (keep ? x0[size_t(i)] * scale : neg_inf));
          want_max = std::max(want_max, x[size_t(i)]);
        }
        REQUIRE(max == want_max);
        if (max == neg_inf) continue;  // every element masked

        // exp(x - max) spans the whole range of weights, down past the underflow at -87.3.
        std::vector<float> y = x;
        for (int64_t i = 0; i < n; i += 7)
          if (y[size_t(i)] != neg_inf && y[size_t(i)] != max) y[size_t(i)] = max - float(i % 120);
        std::vector<float> e = y;
        const float total = attention_exp_sum(e.data(), n, max, isa);
        double exact_total = 0;
        for (int64_t i = 0; i < n; ++i) {
          // Of the fp32 difference, which every path rounds the same way before its exp.
          const double want = std::exp(double(y[size_t(i)] - max));
          CAPTURE(i, y[size_t(i)], max, e[size_t(i)], want);
          exact_total += want;
          if (want < 1.2e-38) {  // exp would be subnormal (or -inf's 0): 0 or that value
            REQUIRE(e[size_t(i)] >= 0.0f);
            REQUIRE(e[size_t(i)] <= 1.2e-38f);
          } else {
            REQUIRE(std::fabs(e[size_t(i)] - want) <= 4 * u * want);  // 2 ulp of fp32
          }
        }
        REQUIRE(std::fabs(total - exact_total) <= double(n + 6) * u * exact_total);
      }
    }
  }
}
