// Fused dequant-GEMM on the CPU against a float64 GEMM over the reference-dequantized weight,
// for the direct AVX-512 and AVX2 kernels (m <= 4), the AVX-512 strip kernel (4-64 rows), the
// banded and tiled GEMM paths and the scalar path, on 1 and 2 threads.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "quant/gemm_cpu.h"
#include "quant/reference.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

namespace {

// y64 = x . dq^T + bias in float64, with the magnitude sum that scales the fp32 error bound.
struct Expected {
  std::vector<double> y, magnitude;
};

// The magnitude is sum_t |x_t| (|dq_t| + 2 M_t), M_t the largest |dq| of t's group (kCols, group
// g; 0 for kRows): the AVX-512 q8 kernel sums scale * sum(code * x) + min * sum(x) per group, whose
// terms are bounded by |dq| + |min| and |min| <= M (the group's minimum value, rounded down to
// fp16: 2.01 covers that rounding), rather than by |dq| alone.
Expected gemm_f64(const std::vector<float>& x, int64_t m, const std::vector<float>& dq, int64_t n,
                  int64_t k, const float* bias, int64_t g) {
  Expected e{std::vector<double>(size_t(m * n)), std::vector<double>(size_t(m * n))};
  std::vector<double> group_max(size_t(n * k), 0.0);
  for (int64_t j = 0; g > 0 && j < n; ++j) {
    for (int64_t t0 = 0; t0 < k; t0 += g) {
      const int64_t t1 = std::min(k, t0 + g);
      double mx = 0.0;
      for (int64_t t = t0; t < t1; ++t) mx = std::max(mx, std::fabs(double(dq[size_t(j * k + t)])));
      for (int64_t t = t0; t < t1; ++t) group_max[size_t(j * k + t)] = mx;
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = bias ? bias[j] : 0.0, a = bias ? std::fabs(bias[j]) : 0.0;
      for (int64_t t = 0; t < k; ++t) {
        const double xt = double(x[size_t(i * k + t)]), wt = double(dq[size_t(j * k + t)]);
        s += xt * wt;
        a += std::fabs(xt) * (std::fabs(wt) + 2.01 * group_max[size_t(j * k + t)]);
      }
      e.y[size_t(i * n + j)] = s;
      e.magnitude[size_t(i * n + j)] = a;
    }
  }
  return e;
}

void check_gemm(std::mt19937_64& rng, const QuantFormat& f, int64_t m, int64_t n, int64_t k,
                bool with_bias, const CpuCompute& cpu) {
  CAPTURE(format_name(f), m, n, k, with_bias, cpu_isa_name(cpu.isa), cpu.threads);
  const std::vector<float> w = test::random_matrix(rng, n, k, -1, 1, 8);
  const std::vector<float> x = test::random_matrix(rng, m, k, -2, 2);
  const std::vector<float> bias = test::random_matrix(rng, 1, n, -5, 5);
  std::vector<uint8_t> packed(size_t(packed_bytes(f, n, k)));
  quantize_ref(f, w.data(), n, k, packed.data());
  const QuantMatrix qw{f, packed.data(), n, k};
  std::vector<float> dq(size_t(n * k));
  dequantize_ref(qw, 0, n, dq.data());

  const float* b = with_bias ? bias.data() : nullptr;
  const int64_t g = f.axis == GroupAxis::kCols ? f.group_size : 0;
  const Expected e = gemm_f64(x, m, dq, n, k, b, g);
  std::vector<float> y(size_t(m * n) + 1, 1234.0f);
  quant_gemm_cpu(x.data(), m, qw, b, y.data(), cpu);
  // Any fp32 summation order is within (k + 2) u sum|x w| + |bias| (u = 2^-24) of the exact sum.
  const double u = std::ldexp(1.0, -24);
  for (size_t i = 0; i < size_t(m * n); ++i) {
    const double tol = double(k + 2) * u * e.magnitude[i] + 1e-30;
    INFO("y[" << i / size_t(n) << ", " << i % size_t(n) << "] = " << y[i] << ", float64 " << e.y[i]
              << ", tolerance " << tol);
    REQUIRE(std::fabs(double(y[i]) - e.y[i]) <= tol);
  }
  CHECK(y[size_t(m * n)] == 1234.0f);  // nothing written past y
}

}  // namespace

TEST_CASE("fused CPU GEMM matches float64 over the dequantized weight", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const std::vector<CpuIsa> isas = runnable_cpu_isas();
  const QuantFormat formats[] = {{QuantBits::k4, 64, GroupAxis::kCols},
                                 {QuantBits::k8, 32, GroupAxis::kCols},
                                 {QuantBits::k4, 8, GroupAxis::kCols},
                                 {QuantBits::k4, 64, GroupAxis::kRows},
                                 {QuantBits::k8, 128, GroupAxis::kRows}};
  for (CpuIsa level : isas) {
    for (int threads : {1, 2}) {  // 2: the direct kernel splits rows (n >= 128)
      const CpuCompute cpu{level, threads};
      for (const QuantFormat& f : formats) {
        for (int64_t m : {1, 2, 3, 4, 5, 17}) {
          for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {7, 64}, {33, 200}, {130, 63}}) {
            check_gemm(rng, f, m, n, k, (m + n) % 2 == 0, cpu);
          }
        }
        // Fresh random shapes (ragged k, both sides of the direct-kernel m limit).
        std::uniform_int_distribution<int64_t> dm(1, 9), dn(1, 100), dk(1, 300);
        for (int i = 0; i < 4; ++i) check_gemm(rng, f, dm(rng), dn(rng), dk(rng), i % 2 == 0, cpu);
        // Several tiles of kGemmTileFloats: n * k > 2^18 with a ragged k.
        check_gemm(rng, f, 1, 200, 3001, true, cpu);
        check_gemm(rng, f, 6, 200, 3001, false, cpu);
      }
    }
  }
}

// The direct kernels (1-4 rows of x) over group sizes of 16 (mod 32) and 0 (mod 32), where the
// AVX-512 q4 kernel takes 64, 32 and 16 codes a step and reads x de-interleaved per chunk; odd row
// counts (split unevenly by 2 threads) and ragged k (padded codes in the last group).
TEST_CASE("direct CPU GEMM kernels over group sizes match float64", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (CpuIsa level : runnable_cpu_isas()) {
    if (level == CpuIsa::kScalar) continue;  // no direct kernel
    for (int threads : {1, 2}) {
      for (QuantBits bits : {QuantBits::k4, QuantBits::k8}) {
        for (int64_t g : {16, 32, 48, 64, 80, 128}) {
          const QuantFormat f{bits, int32_t(g), GroupAxis::kCols};
          for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {3, g}, {131, 3 * g - 5},
                              {129, 2 * g + 7}, {5, 5 * g}}) {
            for (int64_t m : {1, 2, 3, 4})
              check_gemm(rng, f, m, n, k, n % 2 == 1, {level, threads});
          }
        }
      }
    }
  }
}

// The AVX-512 strip kernel (4-64 rows of x; every ISA checked, the others take the direct, banded
// and tiled paths; 2-3 rows and m = 65 on either side) over group sizes of 16 (mod 32) and 0 (mod 32),
// row counts that leave 1-3 rows of x and 1-5 of a strip, ragged k, and k past one dequantized
// chunk (1024 columns rounded to whole groups: 1008 at g = 48, one group at g = 2560).
TEST_CASE("strip CPU GEMM kernel at 4-64 rows of x matches float64", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (CpuIsa level : runnable_cpu_isas()) {
    for (int threads : {1, 2}) {
      for (QuantBits bits : {QuantBits::k4, QuantBits::k8}) {
        for (int64_t g : {16, 48, 64, 128}) {
          const QuantFormat f{bits, int32_t(g), GroupAxis::kCols};
          for (auto [n, k] : {std::pair<int64_t, int64_t>{131, 3 * g - 5}, {6, 2 * g + 7},
                              {5, g}, {8, 2 * g}}) {
            for (int64_t m : {2, 3, 4, 5, 8, 17, 33, 64, 65})
              check_gemm(rng, f, m, n, k, (m + n) % 2 == 0, {level, threads});
          }
          check_gemm(rng, f, 13, 7, 4100, true, {level, threads});  // several chunks, ragged
        }
        check_gemm(rng, {bits, 2560, GroupAxis::kCols}, 9, 5, 2 * 2560 + 3, false,
                   {level, threads});
      }
    }
  }
}

// Every path decodes each weight to exactly dequantize_ref's value (so tokens do not depend on
// the path): rows of x that are one-hot at a column pick that column's weights out unrounded.
TEST_CASE("fused CPU GEMM paths use the reference's dequantized weights bit for bit", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const int64_t n = 37, k = 4100;
  for (CpuIsa level : runnable_cpu_isas()) {
    for (QuantBits bits : {QuantBits::k4, QuantBits::k8}) {
      for (int32_t g : {16, 48, 64}) {
        const QuantFormat f{bits, g, GroupAxis::kCols};
        const std::vector<float> w = test::random_matrix(rng, n, k, -1, 1, 8);
        std::vector<uint8_t> packed(size_t(packed_bytes(f, n, k)));
        quantize_ref(f, w.data(), n, k, packed.data());
        const QuantMatrix qw{f, packed.data(), n, k};
        std::vector<float> dq(size_t(n * k));
        dequantize_ref(qw, 0, n, dq.data());
        for (int64_t m : {1, 2, 4, 5, 33, 64}) {
          CAPTURE(format_name(f), cpu_isa_name(level), m);
          std::vector<float> x(size_t(m * k), 0.0f);
          std::vector<int64_t> col(static_cast<size_t>(m));
          std::uniform_int_distribution<int64_t> dc(0, k - 1);
          for (int64_t i = 0; i < m; ++i) x[size_t(i * k + (col[size_t(i)] = dc(rng)))] = 1.0f;
          std::vector<float> y(size_t(m * n));
          quant_gemm_cpu(x.data(), m, qw, nullptr, y.data(), {level, 2});
          for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < n; ++j) {
              INFO("row " << i << " (one at " << col[size_t(i)] << "), weight row " << j);
              REQUIRE(y[size_t(i * n + j)] == dq[size_t(j * k + col[size_t(i)])]);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("fused CPU GEMM edge shapes and argument checks", "[quant]") {
  const QuantFormat f{};
  std::vector<uint8_t> packed(size_t(packed_bytes(f, 3, 64)), 0);
  const QuantMatrix w{f, packed.data(), 3, 64};
  std::vector<float> x(2 * 64, 1.0f), y(2 * 3, 9.0f);
  const float bias[3] = {1, 2, 3};
  // Empty reduction: y = bias.
  quant_gemm_cpu(x.data(), 2, {f, nullptr, 3, 0}, bias, y.data(), CpuIsa::kScalar);
  CHECK(y == std::vector<float>{1, 2, 3, 1, 2, 3});
  // m = 0 writes nothing.
  y.assign(6, 9.0f);
  quant_gemm_cpu(x.data(), 0, w, bias, y.data(), CpuIsa::kScalar);
  CHECK(y == std::vector<float>(6, 9.0f));
  CHECK_THROWS_AS(quant_gemm_cpu(x.data(), -1, w, bias, y.data(), CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(quant_gemm_cpu(nullptr, 2, w, bias, y.data(), CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(quant_gemm_cpu(x.data(), 2, w, bias, nullptr, CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(quant_gemm_cpu(x.data(), 2, {f, nullptr, 3, 64}, bias, y.data(), CpuIsa::kScalar),
                  strata::Error);
}
