// f16/bf16 weights widened inside the multiply (quant/half_gemm.h) against a
// float64 GEMM over the widened weights, on every instruction set this CPU runs
// (the portable scalar path included) and with 1 to 3 threads; widen_half_rows
// against the scalar conversions of quant/fp16.h.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "quant/fp16.h"
#include "quant/half_gemm.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

namespace {

uint16_t to_half(float f, HalfType type) {
  if (type == HalfType::kF16) return f32_to_f16(f);
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return uint16_t(bits >> 16);  // truncation: any bf16 value is a fine test weight
}

double half_to_double(uint16_t h, HalfType type) {
  return test::half_code_value(h, type == HalfType::kBf16);
}

void check_half_gemm(std::mt19937_64& rng, HalfType type, int64_t m, int64_t n, int64_t k,
                     const CpuCompute& cpu) {
  CAPTURE(type == HalfType::kF16 ? "f16" : "bf16", m, n, k, cpu_isa_name(cpu.isa), cpu.threads);
  const std::vector<float> wf = test::random_matrix(rng, n, k, -1, 1);
  const std::vector<float> x = test::random_matrix(rng, m, k, -2, 2);
  std::vector<uint16_t> w(wf.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = to_half(wf[i], type);
  const int64_t ldy = n + 3;  // a row stride wider than n: the gap must stay untouched
  std::vector<float> y(size_t(m * ldy) + 1, 1234.0f);
  half_gemm_cpu(x.data(), m, {type, w.data(), n, k}, y.data(), ldy, cpu);
  const double u = std::ldexp(1.0, -24);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double t = double(x[size_t(i * k + p)]) * half_to_double(w[size_t(j * k + p)], type);
        exact += t;
        magnitude += std::fabs(t);
      }
      // Any fp32 summation order is within (k + 2) u sum|x w| of the exact sum.
      const double tol = double(k + 2) * u * magnitude + 1e-30;
      const double got = y[size_t(i * ldy + j)];
      INFO("y[" << i << ", " << j << "] = " << got << ", float64 " << exact);
      REQUIRE(std::fabs(got - exact) <= tol);
    }
    for (int64_t j = n; j < ldy && i + 1 < m; ++j) REQUIRE(y[size_t(i * ldy + j)] == 1234.0f);
  }
  CHECK(y[size_t(m * ldy)] == 1234.0f);
}

}  // namespace

TEST_CASE("half-weight GEMM matches float64 on every instruction set and thread count",
          "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (CpuIsa isa : runnable_cpu_isas()) {
    for (int threads : {1, 2, 3}) {
      for (HalfType type : {HalfType::kF16, HalfType::kBf16}) {
        // m over the register blocks' tails (1..5, 17, 33), k over the vector tails (1, 7, 8,
        // 15, 16, 17, 100), n over the 4-row blocks and the 64-row bands; 600 x 700 is large
        // enough to be split across the threads.
        for (int64_t m : {1, 2, 3, 4, 5, 17, 33}) {
          for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {5, 7}, {3, 8}, {9, 15},
                              {64, 16}, {65, 17}, {130, 100}, {257, 33}, {600, 700}}) {
            check_half_gemm(rng, type, m, n, k, {isa, threads});
          }
        }
        std::uniform_int_distribution<int64_t> dm(1, 40), dn(1, 300), dk(1, 700);
        for (int i = 0; i < 3; ++i) {
          check_half_gemm(rng, type, dm(rng), dn(rng), dk(rng), {isa, threads});
        }
      }
    }
  }
}

TEST_CASE("widen_half_rows is exact on every instruction set", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  // Every 16-bit pattern (signed zeros, subnormals, inf, nan included) as 1024
  // rows of 64.
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i);
  for (CpuIsa isa : runnable_cpu_isas()) {
    for (HalfType type : {HalfType::kF16, HalfType::kBf16}) {
      CAPTURE(cpu_isa_name(isa), type == HalfType::kF16 ? "f16" : "bf16");
      const HalfMatrix w{type, all.data(), 1024, 64};
      for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, 1024}, {3, 4}, {5, 700}, {9, 9}}) {
        std::vector<float> out(size_t((r1 - r0) * 64) + 1, -7.0f);
        widen_half_rows(w, r0, r1, out.data(), {isa, 2});
        for (int64_t e = 0; e < (r1 - r0) * 64; ++e) {
          const uint16_t h = all[size_t(r0 * 64 + e)];
          const double want = half_to_double(h, type);
          const float got = out[size_t(e)];
          INFO("bits " << h);
          if (std::isnan(want)) {
            REQUIRE(std::isnan(got));
          } else {
            REQUIRE(double(got) == want);
            REQUIRE(std::signbit(got) == std::signbit(want));
          }
        }
        CHECK(out.back() == -7.0f);
      }
    }
  }
}

TEST_CASE("half-weight GEMM refuses bad arguments", "[quant]") {
  std::vector<uint16_t> w(6, 0);
  std::vector<float> x(4, 1.0f), y(8, 0.0f);
  const HalfMatrix hw{HalfType::kF16, w.data(), 3, 2};
  CHECK_THROWS_AS(half_gemm_cpu(x.data(), -1, hw, y.data(), 3, CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(half_gemm_cpu(x.data(), 2, hw, y.data(), 2, CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(half_gemm_cpu(x.data(), 2, hw, nullptr, 3, CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(half_gemm_cpu(x.data(), 2, hw, y.data(), 3, {CpuIsa::kScalar, 0}), strata::Error);
  CHECK_THROWS_AS(widen_half_rows(hw, 2, 4, y.data(), CpuIsa::kScalar), strata::Error);
  CHECK_NOTHROW(half_gemm_cpu(x.data(), 0, hw, y.data(), 3,
                              CpuIsa::kScalar));  // nothing to do
}
