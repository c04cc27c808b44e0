// CUDA linear against float64 references, per weight dtype, with per-element error bounds taken
// from the arithmetic cuda_backend.h documents (u = 2^-24, fp32 unit roundoff):
//   f32           |y - ref| <= (k + 2) u sum|x w|                    (SGEMM, any summation order)
//   f16 / bf16    ref over x rounded to f16 / bf16 (the GEMM's real inputs) and the stored
//                 weights; |y - ref| <= (2k + 8) u sum|x~ w|  (tensor cores' fp32 accumulation
//                 may truncate instead of rounding: 2u per addition). Also the error against
//                 unrounded x stays within the 16-bit rounding of x: 2^-11 (f16), 2^-8 (bf16).
//   q4 / q8       fused path (M <= fused_quant_max_m): ref over the reference-dequantized weights
//                 and fp32 x, (k + 2) u sum|x w|; tiled path: ref over f16(x) and f16(dequantized
//                 w), (2k + 8) u sum|x~ w~|.
//   bias          f32, f16 or bf16, added in fp32: + u |b| more.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "cuda_test_support.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/core/half.h"
#include "quant/reference.h"
#include "test_support.h"

namespace strata {
namespace {

using cut::DeviceArray;
constexpr double kU = 1.0 / 16777216.0;  // 2^-24

double round_to(DType dt, float v) {
  switch (dt) {
    case DType::f16: return f16_to_f32(f32_to_f16(v));
    case DType::bf16: return bf16_to_f32(f32_to_bf16(v));
    default: return v;
  }
}

// A bias stored as `dt` on the device, and the values it stands for.
struct DeviceBias {
  std::vector<double> decoded;
  std::unique_ptr<DeviceArray<float>> f32;
  std::unique_ptr<DeviceArray<uint16_t>> half;
  Tensor tensor;

  DeviceBias(std::mt19937& rng, int64_t n, std::optional<DType> dt) {
    decoded.assign(size_t(n), 0.0);
    if (!dt) return;
    const std::vector<float> b = ut::random_floats(rng, size_t(n), 0.5f);
    if (*dt == DType::f32) {
      for (size_t i = 0; i < b.size(); ++i) decoded[i] = b[i];
      f32 = std::make_unique<DeviceArray<float>>(b);
      tensor = f32->tensor(DType::f32, {n});
      return;
    }
    std::vector<uint16_t> h(b.size());
    for (size_t i = 0; i < b.size(); ++i) {
      h[i] = *dt == DType::f16 ? f32_to_f16(b[i]) : f32_to_bf16(b[i]);
      decoded[i] = *dt == DType::f16 ? f16_to_f32(h[i]) : bf16_to_f32(h[i]);
    }
    half = std::make_unique<DeviceArray<uint16_t>>(h);
    tensor = Tensor(half->get(), *dt, {n}, Place::device);
  }
};

// Checks y[m, n] against sum_p xr[i, p] wr[j, p] + bias[j] with the bound
// slack * u * sum|xr wr| + u |bias| per element; returns how many elements fail.
int64_t count_out_of_bound(const std::vector<float>& y, const std::vector<double>& xr,
                           const std::vector<double>& wr, const std::vector<double>& bias,
                           int64_t m, int64_t k, int64_t n, double slack) {
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double ref = bias[size_t(j)], mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double t = xr[size_t(i * k + p)] * wr[size_t(j * k + p)];
        ref += t;
        mag += std::fabs(t);
      }
      const double tol = slack * kU * mag + kU * std::fabs(bias[size_t(j)]) + 1e-30;
      const double got = y[size_t(i * n + j)];
      if (!(std::fabs(got - ref) <= tol)) {
        if (bad < 3) UNSCOPED_INFO("y[" << i << ", " << j << "] = " << got << ", ref " << ref << ", tol " << tol);
        ++bad;
      }
    }
  }
  return bad;
}

struct Shape {
  int64_t m, k, n;
};

}  // namespace

TEST_CASE("cuda linear matches float64 for f32/f16/bf16 weights", "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(20240611);
  const std::vector<Shape> shapes = {{1, 1024, 300}, {4, 1001, 300}, {1, 17, 5},  {7, 1, 9},
                                     {33, 515, 1030}, {1, 8, 1},     {300, 256, 129},
                                     {2, 0, 3},       {64, 4096, 64}};
  for (const Shape& s : shapes) {
    for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
      for (std::optional<DType> bias_dt :
           {std::optional<DType>{}, std::optional<DType>{DType::f32}, std::optional<DType>{dt}}) {
        CAPTURE(s.m, s.k, s.n, dtype_name(dt), bias_dt ? dtype_name(*bias_dt) : "none");
        const std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
        const std::vector<float> w =
            ut::random_floats(rng, size_t(s.n * s.k), float(1.0 / std::sqrt(double(s.k + 1))));
        std::vector<double> wd(w.size()), xr(x.size()), xd(x.begin(), x.end());
        std::vector<uint16_t> w16(w.size());
        for (size_t i = 0; i < w.size(); ++i) {
          if (dt == DType::f32) {
            wd[i] = w[i];
          } else {
            w16[i] = dt == DType::f16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
            wd[i] = dt == DType::f16 ? f16_to_f32(w16[i]) : bf16_to_f32(w16[i]);
          }
        }
        for (size_t i = 0; i < x.size(); ++i) xr[i] = round_to(dt, x[i]);
        DeviceBias bias(rng, s.n, bias_dt);
        DeviceArray<float> dx(x), dw32(dt == DType::f32 ? w : std::vector<float>{}),
            dy(size_t(s.m * s.n));
        DeviceArray<uint16_t> dw16(dt == DType::f32 ? std::vector<uint16_t>{} : w16);
        dy.fill_nan();
        const Tensor wt = dt == DType::f32 ? dw32.tensor(dt, {s.n, s.k})
                                           : Tensor(dw16.get(), dt, {s.n, s.k}, Place::device);
        Tensor yt = dy.tensor(DType::f32, {s.m, s.n});
        backend.linear(dx.tensor(DType::f32, {s.m, s.k}), wt, bias.tensor, yt);
        const std::vector<float> y = dy.host();

        const double slack = dt == DType::f32 ? double(s.k + 2) : double(2 * s.k + 8);
        CHECK(count_out_of_bound(y, xr, wd, bias.decoded, s.m, s.k, s.n, slack) == 0);
        // Against unrounded x: within the 16-bit rounding of x (normalized, like the CPU test's
        // storage tolerances).
        if (dt != DType::f32 && s.k > 0) {
          std::vector<double> ref(size_t(s.m * s.n));
          for (int64_t i = 0; i < s.m; ++i)
            for (int64_t j = 0; j < s.n; ++j) {
              double acc = bias.decoded[size_t(j)];
              for (int64_t p = 0; p < s.k; ++p) acc += xd[size_t(i * s.k + p)] * wd[size_t(j * s.k + p)];
              ref[size_t(i * s.n + j)] = acc;
            }
          CHECK(ut::normalized_error(y, ref) < (dt == DType::f16 ? 1e-3 : 8e-3));
        }
      }
    }
  }
}

TEST_CASE("cuda linear over q4/q8 weights: fused decode and dequantized tiles", "[cuda][ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  CudaBackend backend;  // fused for m <= 16
  CudaBackendOptions tiny;
  tiny.weight_tile_bytes = 4096;  // many row tiles per matrix
  tiny.fused_quant_max_m = 0;     // every m takes the tiled path
  CudaBackend tiled(tiny);
  const std::vector<Shape> shapes = {{1, 64, 7},   {3, 1001, 65}, {16, 256, 300}, {17, 256, 300},
                                     {64, 100, 33}, {100, 515, 40}, {1, 8, 1},    {5, 4096, 96}};
  for (const Shape& s : shapes) {
    for (DType dt : {DType::q4, DType::q8}) {
      for (int32_t group : {32, 64, 128}) {
        for (CudaBackend* be : {&backend, &tiled}) {
          const bool fused = s.m <= be->options().fused_quant_max_m;
          const std::optional<DType> bias_dt =
              group == 64 ? std::optional<DType>{DType::f16}
                          : group == 32 ? std::optional<DType>{DType::f32} : std::nullopt;
          CAPTURE(s.m, s.k, s.n, dtype_name(dt), group, fused, bias_dt.has_value());
          const quant::QuantFormat qf{dt == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8,
                                      group, quant::GroupAxis::kCols};
          const std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
          const std::vector<float> w = ut::random_floats(rng, size_t(s.n * s.k), 0.05f, 0.01f);
          std::vector<uint8_t> packed(size_t(quant::packed_bytes(qf, s.n, s.k)));
          quant::quantize_ref(qf, w.data(), s.n, s.k, packed.data());
          std::vector<float> deq(size_t(s.n * s.k));
          quant::dequantize_ref({qf, packed.data(), s.n, s.k}, 0, s.n, deq.data());
          std::vector<double> xr(x.size()), wr(deq.size());
          for (size_t i = 0; i < x.size(); ++i) xr[i] = fused ? x[i] : round_to(DType::f16, x[i]);
          for (size_t i = 0; i < deq.size(); ++i) {
            wr[i] = fused ? deq[i] : round_to(DType::f16, deq[i]);
          }
          DeviceBias bias(rng, s.n, bias_dt);
          DeviceArray<float> dx(x), dy(size_t(s.m * s.n));
          DeviceArray<uint8_t> dp(packed);
          dy.fill_nan();
          Tensor yt = dy.tensor(DType::f32, {s.m, s.n});
          be->linear(dx.tensor(DType::f32, {s.m, s.k}),
                     Tensor::packed(dp.get(), TensorFormat(dt, group), s.n, s.k, Place::device),
                     bias.tensor, yt);
          const double slack = fused ? double(s.k + 2) : double(2 * s.k + 8);
          CHECK(count_out_of_bound(dy.host(), xr, wr, bias.decoded, s.m, s.k, s.n, slack) == 0);
        }
      }
    }
  }
}

}  // namespace strata
