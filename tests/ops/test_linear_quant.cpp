// linear over q4/q8 packed weights (Tensor::packed, quant/format.h kCols) on every backend,
// against float64 over the weights dequantized by quant's scalar reference (quant/reference.h),
// on fresh random inputs (seed printed on failure): decode shapes (the CPU's direct AVX2 kernel,
// CUDA's fused dequant-GEMM) and prefill shapes (dequantized tiles), ragged K, group sizes 32,
// 64 and 128, without a bias and with an f16 or f32 one. Per element (u = 2^-24):
//   over fp32 x (the CPU; CUDA for M <= fused_quant_max_m)
//       |y - ref| <= (k + 2) u (|b| + sum|x w|) on the CPU, (k + 2) u sum|x w| + u|b| on CUDA,
//       and against the original fp32 weights: half a quantization step of each element's
//       group (times |x|) plus that rounding
//   over f16 tiles (CUDA for larger M): ref over f16(x) and f16(dequantized w),
//       (2k + 8) u sum|x~ w~| + u|b|
// Also: packed row views are the format's byte ranges, the store's format names parse back, and
// an embedding table cannot be packed.
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/harness.h"
#include "ops/reference/linear_reference.h"
#include "quant/quant_test_util.h"
#include "quant/reference.h"

namespace strata::ops_test {
namespace {

quant::QuantFormat quant_of(const TensorFormat& f) {
  return {f.dtype == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8, f.group_size,
          quant::GroupAxis::kCols};
}

struct Shape {
  int64_t m, k, n;
};

const std::vector<Shape> kShapes = {{1, 64, 7},     {2, 100, 33},   {4, 256, 300}, {3, 1001, 65},
                                    {5, 128, 129},  {17, 515, 40},  {1, 8, 1},     {9, 64, 1030},
                                    {16, 256, 300}, {17, 256, 300}, {64, 100, 33}, {100, 515, 40},
                                    {5, 4096, 96}};

void check_quant_linear(OpBackend& be, std::mt19937& rng, const Shape& s, const TensorFormat& f,
                        std::optional<DType> bias_dt) {
  const bool fused = s.m <= be.fused_quant_max_m;  // computes over fp32 x
  CAPTURE(s.m, s.k, s.n, format_name(f), bias_dt ? dtype_name(*bias_dt) : "none", fused);
  const std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
  const std::vector<float> w = ut::random_floats(rng, size_t(s.n * s.k), 0.05f, 0.01f);
  const StoredValues bias(ut::random_floats(rng, size_t(s.n), 0.5f), bias_dt.value_or(DType::f32));
  const quant::QuantFormat qf = quant_of(f);
  std::vector<uint8_t> packed(size_t(quant::packed_bytes(qf, s.n, s.k)));
  quant::quantize_ref(qf, w.data(), s.n, s.k, packed.data());
  const quant::QuantMatrix qm{qf, packed.data(), s.n, s.k};
  std::vector<float> deq(size_t(s.n * s.k));
  quant::dequantize_ref(qm, 0, s.n, deq.data());

  const auto upload = [&](const auto& v) { return DeviceData(*be, v); };
  DeviceData dx(*be, x), dp(*be, packed), db = bias.to_device(upload);
  DeviceData dy(*be, nan_floats(size_t(s.m * s.n)));
  const Tensor wt = dp.packed(f, {s.n, s.k});
  REQUIRE(wt.nbytes() == packed.size());
  Tensor yt = dy.tensor(DType::f32, {s.m, s.n});
  be->linear(dx.tensor(DType::f32, {s.m, s.k}), wt, bias_dt ? db.tensor(*bias_dt, {s.n}) : Tensor(),
             yt);
  const std::vector<float> y = dy.floats();

  if (!fused) {  // f16 tiles: the GEMM's real inputs are f16(x) and f16(dequantized w)
    std::vector<double> xr(x.size()), wr(deq.size());
    for (size_t i = 0; i < x.size(); ++i) xr[i] = round_to(DType::f16, x[i]);
    for (size_t i = 0; i < deq.size(); ++i) wr[i] = round_to(DType::f16, deq[i]);
    const std::vector<double> b = bias_dt ? bias.decoded : std::vector<double>{};
    CHECK(count_out_of_bound(y, xr, wr, b, s.m, s.k, s.n, double(2 * s.k + 8)) == 0);
    return;
  }
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      const double b = bias_dt ? bias.decoded[size_t(j)] : 0.0;
      double ref = b, ref_orig = b, magnitude = 0.0, step_bound = 0.0;
      for (int64_t p = 0; p < s.k; ++p) {
        const double xv = x[size_t(i * s.k + p)];
        ref += xv * double(deq[size_t(j * s.k + p)]);
        ref_orig += xv * double(w[size_t(j * s.k + p)]);
        magnitude += std::fabs(xv * double(deq[size_t(j * s.k + p)]));
        const quant::GroupHeader h = quant::group_header_ref(qm, j, p);
        // half a step of the element's group, plus fp32 slack of the dequantized value
        step_bound += std::fabs(xv) * (0.5 * double(f16_to_f32(h.scale)) +
                                       1e-6 * std::fabs(double(w[size_t(j * s.k + p)])));
      }
      const double got = y[size_t(i * s.n + j)];
      CAPTURE(i, j, got, ref, ref_orig);
      // fp32 summation in any order: (k + 2) ulps of the sum of magnitudes.
      const double sum_error = be.arithmetic == Arithmetic::cpu
                                   ? double(s.k + 2) * kU * (magnitude + std::fabs(b))
                                   : double(s.k + 2) * kU * magnitude + kU * std::fabs(b) + 1e-30;
      REQUIRE(std::fabs(got - ref) <= sum_error);
      REQUIRE(std::fabs(got - ref_orig) <= step_bound + sum_error);
    }
  }
}

}  // namespace

TEST_CASE("linear over q4/q8 weights matches float64 over the dequantized weights",
          "[ops][quant]") {
  const uint32_t seed = uint32_t(quant::test::fresh_seed());
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    std::mt19937 rng(seed);
    for (const Shape& s : kShapes) {
      for (DType dt : {DType::q4, DType::q8}) {
        for (int32_t group : {32, 64, 128}) {
          const TensorFormat f(dt, group);
          check_quant_linear(be, rng, s, f, std::nullopt);
          check_quant_linear(be, rng, s, f, DType::f16);
          if (group == 32) check_quant_linear(be, rng, s, f, DType::f32);
        }
      }
    }
  });
}

TEST_CASE("packed tensors: byte sizes and row views and format names", "[ops][quant]") {
  const TensorFormat q4(DType::q4, 64), q8(DType::q8, 128);
  std::vector<uint8_t> bytes(1 << 16);
  const Tensor t = Tensor::packed(bytes.data(), q4, 10, 100);  // 2 groups of 36 bytes per row
  CHECK(t.row_bytes() == 72);
  CHECK(t.nbytes() == 720);
  const quant::ByteRange r = quant::row_range_bytes(quant_of(q4), 10, 100, 3, 7);
  const Tensor v = t.rows(3, 7);
  CHECK(v.data<uint8_t>() - bytes.data() == r.offset);
  CHECK(v.nbytes() == size_t(r.size));
  CHECK(v.format() == q4);
  CHECK(v.shape_string() == "[4, 100] q4g64");
  CHECK(format_row_bytes(q8, 300) == 3 * (4 + 128));
  CHECK_THROWS_AS(t.reshaped({1000}), Error);
  CHECK_THROWS_AS(Tensor::packed(bytes.data(), TensorFormat(DType::q4, 12), 2, 2), Error);
  CHECK_THROWS_AS(Tensor::packed(bytes.data(), TensorFormat(DType::f16), 2, 2), Error);

  for (const char* name : {"f32", "f16", "bf16", "q4g64", "q8g64", "q4g128", "q8g8", "q4g8192"}) {
    const std::optional<TensorFormat> f = parse_tensor_format(name);
    REQUIRE(f.has_value());
    CHECK(format_name(*f) == name);
  }
  for (const char* bad :
       {"q4", "q4g", "q4g0", "q4g12", "q4g064", "q5g64", "q4g8200", "i8", "q4g64x", "Q4G64"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_tensor_format(bad).has_value());
  }
}

TEST_CASE("an embedding table cannot be packed", "[ops][quant]") {
  for_each_backend([](OpBackend& be) {
    DeviceData table(*be, size_t(1) << 12), y(*be, std::vector<float>(6));
    Tensor yt = y.tensor(DType::f32, {2, 3});
    const int32_t ids[2] = {0, 1};
    CHECK_THROWS_AS(be->embedding(table.packed(TensorFormat(DType::q8, 8), {4, 3}), ids,
                                  Accumulate::overwrite, yt),
                    Error);
  });
}

}  // namespace strata::ops_test
