// linear (y = x · wᵀ + b) for f32, f16 and bf16 weights against float64 references, on every
// backend. Shapes: N spanning several of the CPU's 256Ki-float decode tiles, K not a multiple of
// 8, K = 0, K larger than a tile (one row per tile), M from decode to prefill sizes; biases
// absent, f32, or of the weight's type.
// Tolerances, from each backend's arithmetic (cuda_backend.h "Numerics"; u = 2^-24):
//   every backend   per element |y - ref| <= slack u sum|x~ w| + u |b|, ref over the stored
//                   weights and x~ = x as the GEMM sees it (the CPU: fp32 x, slack k + 2; CUDA:
//                   x rounded to the weight's 16-bit type, slack 2k + 8 for tensor cores that may
//                   truncate, k + 2 for f32 SGEMM)
//   cpu             (its own cases) normalized error 1e-5 against fp32 x and the stored weights,
//                   per row and whole; against the unrounded weights, the storage rounding:
//                   f16 2e-3, bf16 1.5e-2
//   cuda            (its own cases) normalized error against unrounded x: within x's 16-bit
//                   rounding, f16 1e-3, bf16 8e-3
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "ops/harness.h"
#include "ops/reference/linear_reference.h"

namespace strata::ops_test {
namespace {

using ut::normalized_error;

double storage_tolerance(DType dt) {
  switch (dt) {
    case DType::f32:
      return 1e-5;
    case DType::f16:
      return 2e-3;
    case DType::bf16:
      return 1.5e-2;
    default:
      return 0.0;
  }
}

struct Shape {
  int64_t m, k, n;
};

// The CPU's cases: K = 1024, N = 300: a 256-row tile then a 44-row tile; K = 262147 > the
// tile's floats (one row per tile); 1030 = 509 + 509 + 12 rows; odd K throughout.
const std::vector<Shape> kTileShapes = {{1, 1024, 300}, {4, 1024, 300}, {3, 1001, 300},  {1, 17, 5},
                                        {7, 1, 9},      {2, 262147, 3}, {33, 515, 1030}, {1, 8, 1}};
// CUDA's cases: decode and prefill sizes, K = 0 (y is the bias alone).
const std::vector<Shape> kGemmShapes = {{1, 1024, 300},  {4, 1001, 300},  {1, 17, 5},
                                        {7, 1, 9},       {33, 515, 1030}, {1, 8, 1},
                                        {300, 256, 129}, {2, 0, 3},       {64, 4096, 64},
                                        {200, 64, 700}};  // last: the bias add split by rows

// Which per-backend test a case comes from. Its normalized checks are tuned on its own inputs
// (a normalized error over one or three outputs is at the mercy of cancellation), so they apply
// to its own cases and arithmetic; the per-element bound holds for every case on every backend.
enum class Origin { cpu_tiles, cuda_gemm };

// w ~ N(0, w_scale²): 1 / sqrt(k) in the tile cases, 1 / sqrt(k + 1) in the GEMM cases.
void check_linear(OpBackend& be, std::mt19937& rng, const Shape& s, DType dt,
                  std::optional<DType> bias_dt, double w_scale, Origin origin) {
  CAPTURE(s.m, s.k, s.n, dtype_name(dt), bias_dt ? dtype_name(*bias_dt) : "none");
  const std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
  const std::vector<float> w_orig = ut::random_floats(rng, size_t(s.n * s.k), float(w_scale));
  const std::vector<float> b_orig = ut::random_floats(rng, size_t(s.n), 0.5f);
  const StoredValues w(w_orig, dt), b(b_orig, bias_dt.value_or(DType::f32));
  const auto upload = [&](const auto& v) { return DeviceData(*be, v); };
  DeviceData dx(*be, x), dw = w.to_device(upload), db = b.to_device(upload);
  DeviceData dy(*be, nan_floats(size_t(s.m * s.n)));  // linear must overwrite, never read, y
  Tensor yt = dy.tensor(DType::f32, {s.m, s.n});
  be->linear(dx.tensor(DType::f32, {s.m, s.k}), dw.tensor(dt, {s.n, s.k}),
             bias_dt ? db.tensor(*bias_dt, {s.n}) : Tensor(), yt);
  const std::vector<float> y = dy.floats();

  const std::vector<double> bias = bias_dt ? b.decoded : std::vector<double>{};
  const std::vector<double> bias_orig =
      bias_dt ? std::vector<double>(b_orig.begin(), b_orig.end()) : std::vector<double>{};
  const std::vector<double> xd(x.begin(), x.end());
  const bool rounds_x = be.arithmetic == Arithmetic::cuda && dt != DType::f32;
  std::vector<double> xr(x.size());
  for (size_t i = 0; i < x.size(); ++i) xr[i] = rounds_x ? round_to(dt, x[i]) : x[i];
  const double slack = rounds_x ? double(2 * s.k + 8) : double(s.k + 2);
  CHECK(count_out_of_bound(y, xr, w.decoded, bias, s.m, s.k, s.n, slack) == 0);

  const std::vector<double> ref = linear_ref(xd, w.decoded, bias, s.m, s.k, s.n);
  if (be.arithmetic == Arithmetic::cpu && origin == Origin::cpu_tiles) {
    CHECK(normalized_error(y, ref) < 1e-5);
    const std::vector<double> w_d(w_orig.begin(), w_orig.end());
    CHECK(normalized_error(y, linear_ref(xd, w_d, bias_orig, s.m, s.k, s.n)) <
          storage_tolerance(dt));
    // Every tile was written: each row's error is small too.
    for (int64_t i = 0; i < s.m; ++i) {
      const std::vector<float> row(y.begin() + i * s.n, y.begin() + (i + 1) * s.n);
      const std::vector<double> ref_row(ref.begin() + i * s.n, ref.begin() + (i + 1) * s.n);
      CHECK(normalized_error(row, ref_row) < 1e-5);
    }
  } else if (be.arithmetic == Arithmetic::cuda && origin == Origin::cuda_gemm && dt != DType::f32 &&
             s.k > 0) {
    CHECK(normalized_error(y, ref) < (dt == DType::f16 ? 1e-3 : 8e-3));
  }
}

}  // namespace

TEST_CASE("linear matches float64 for f32/f16/bf16 weights with f32 or stored-type biases",
          "[ops]") {
  for_each_backend([](OpBackend& be) {
    // Two fixed random streams. The tile cases draw exactly what the CPU's own test drew, so its
    // tight normalized checks see the inputs they were tuned on (a 3-element row of a K = 262147
    // product is a sum of 262147 fp32 terms: 1e-5 holds there, not for every draw).
    std::mt19937 rng(20240611);
    for (const Shape& s : kTileShapes) {
      for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
        const double w_scale = 1.0 / std::sqrt(double(s.k));
        check_linear(be, rng, s, dt, std::nullopt, w_scale, Origin::cpu_tiles);
        check_linear(be, rng, s, dt, dt, w_scale, Origin::cpu_tiles);
      }
    }
    std::mt19937 rng_gemm(20240611);
    for (const Shape& s : kGemmShapes) {
      for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
        const double w_scale = 1.0 / std::sqrt(double(s.k + 1));
        check_linear(be, rng_gemm, s, dt, std::nullopt, w_scale, Origin::cuda_gemm);
        check_linear(be, rng_gemm, s, dt, DType::f32, w_scale, Origin::cuda_gemm);
        if (dt != DType::f32) check_linear(be, rng_gemm, s, dt, dt, w_scale, Origin::cuda_gemm);
      }
    }
  });
}

TEST_CASE("linear decodes each tile's rows and not the first tile again", "[ops]") {
  // Rows of w that differ only per tile: row j holds the constant (j % 200) + 1, so
  // y[0, j] = that * K exactly (small integers: exact in f16, bf16 and every fp32 sum); a tile
  // decoded from the wrong offset gives the wrong constant.
  for_each_backend([](OpBackend& be) {
    // 1 and 40 rows: the CPU's in-register kernel; 80: its tiles for oneDNN, of 4096 rows of
    // this k: 4096 + 404.
    const int64_t k = 1024, n = 4500;
    for (int64_t m : {1, 40, 80}) {
      for (DType dt : {DType::f16, DType::bf16}) {
        CAPTURE(m, dtype_name(dt));
        std::vector<float> w_orig(size_t(n * k));
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p) w_orig[size_t(j * k + p)] = float((j % 200) + 1);
        const StoredValues w(w_orig, dt);
        DeviceData dw(*be, w.half), dx(*be, std::vector<float>(size_t(m * k), 1.0f));
        DeviceData dy(*be, std::vector<float>(size_t(m * n), -1.0f));
        Tensor yt = dy.tensor(DType::f32, {m, n});
        be->linear(dx.tensor(DType::f32, {m, k}), dw.tensor(dt, {n, k}), Tensor(), yt);
        const std::vector<float> y = dy.floats();
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            CAPTURE(i, j);
            REQUIRE(double(y[size_t(i * n + j)]) == w.decoded[size_t(j * k)] * double(k));
          }
        }
      }
    }
  });
}

}  // namespace strata::ops_test
