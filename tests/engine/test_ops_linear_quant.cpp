// CPU backend linear over q4/q8 packed weights (Tensor::packed, quant/format.h kCols) against an
// independent float64 computation over the reference-dequantized weights (quant/reference.h),
// on fresh random inputs: decode shapes (m <= 4, quant's direct AVX2 kernel where the CPU has
// it) and prefill shapes (dequantized tiles + sgemm), ragged K, several group sizes, with and
// without an f16 bias. Also: the error against the original fp32 weights stays within half a
// quantization step per group (times |x|), packed row views are the format's byte ranges, the
// store's format names parse back, and an embedding table cannot be packed.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/backend/backend.h"
#include "engine/core/half.h"
#include "quant/reference.h"
#include "test_support.h"

namespace strata {
namespace {

quant::QuantFormat quant_of(const TensorFormat& f) {
  return {f.dtype == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8, f.group_size,
          quant::GroupAxis::kCols};
}

struct Shape {
  int64_t m, k, n;
};

}  // namespace

TEST_CASE("cpu linear over q4/q8 weights matches float64 over the dequantized weights",
          "[ops][quant]") {
  auto backend = make_backend(BackendKind::cpu);
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  const std::vector<Shape> shapes = {{1, 64, 7},    {2, 100, 33},  {4, 256, 300}, {3, 1001, 65},
                                     {5, 128, 129}, {17, 515, 40}, {1, 8, 1},     {9, 64, 1030}};
  for (const Shape& s : shapes) {
    for (DType dt : {DType::q4, DType::q8}) {
      for (int32_t group : {32, 64, 128}) {
        for (bool with_bias : {false, true}) {
          const TensorFormat format(dt, group);
          CAPTURE(s.m, s.k, s.n, format_name(format), with_bias);
          const std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
          const std::vector<float> w = ut::random_floats(rng, size_t(s.n * s.k), 0.05f, 0.01f);
          std::vector<uint16_t> bias(size_t(s.n));
          for (uint16_t& b : bias) b = f32_to_f16(ut::random_floats(rng, 1, 0.5f)[0]);

          const quant::QuantFormat qf = quant_of(format);
          std::vector<uint8_t> packed(size_t(quant::packed_bytes(qf, s.n, s.k)));
          quant::quantize_ref(qf, w.data(), s.n, s.k, packed.data());
          const Tensor wt = Tensor::packed(packed.data(), format, s.n, s.k);
          REQUIRE(wt.nbytes() == packed.size());
          std::vector<float> deq(size_t(s.n * s.k));
          quant::dequantize_ref({qf, packed.data(), s.n, s.k}, 0, s.n, deq.data());

          std::vector<float> y(size_t(s.m * s.n), std::numeric_limits<float>::quiet_NaN());
          Tensor yt(y.data(), DType::f32, {s.m, s.n});
          backend->linear(Tensor(const_cast<float*>(x.data()), DType::f32, {s.m, s.k}), wt,
                          with_bias ? Tensor(bias.data(), DType::f16, {s.n}) : Tensor(), yt);

          for (int64_t i = 0; i < s.m; ++i) {
            for (int64_t j = 0; j < s.n; ++j) {
              double ref = with_bias ? double(f16_to_f32(bias[size_t(j)])) : 0.0;
              double ref_orig = ref, magnitude = std::fabs(ref), step_bound = 0.0;
              for (int64_t p = 0; p < s.k; ++p) {
                const double xv = x[size_t(i * s.k + p)];
                ref += xv * double(deq[size_t(j * s.k + p)]);
                ref_orig += xv * double(w[size_t(j * s.k + p)]);
                magnitude += std::fabs(xv * double(deq[size_t(j * s.k + p)]));
                const quant::GroupHeader h =
                    quant::group_header_ref({qf, packed.data(), s.n, s.k}, j, p);
                // half a step of the element's group, plus fp32 slack of the dequantized value
                step_bound += std::fabs(xv) * (0.5 * double(f16_to_f32(h.scale)) +
                                               1e-6 * std::fabs(double(w[size_t(j * s.k + p)])));
              }
              const double got = y[size_t(i * s.n + j)];
              CAPTURE(i, j, got, ref, ref_orig);
              // fp32 summation in any order: (k + 2) ulps of the sum of magnitudes.
              REQUIRE(std::fabs(got - ref) <= double(s.k + 2) * std::ldexp(1.0, -24) * magnitude);
              REQUIRE(std::fabs(got - ref_orig) <=
                      step_bound + double(s.k + 2) * std::ldexp(1.0, -24) * magnitude);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("packed tensors: byte sizes, row views and format names", "[ops][quant]") {
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
  for (const char* bad : {"q4", "q4g", "q4g0", "q4g12", "q4g064", "q5g64", "q4g8200", "i8",
                          "q4g64x", "Q4G64"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_tensor_format(bad).has_value());
  }

  auto backend = make_backend(BackendKind::cpu);
  std::vector<float> y(6);
  Tensor yt(y.data(), DType::f32, {2, 3});
  const int32_t ids[2] = {0, 1};
  CHECK_THROWS_AS(backend->embedding(Tensor::packed(bytes.data(), TensorFormat(DType::q8, 8), 4, 3),
                                     ids, Accumulate::overwrite, yt),
                  Error);
}

}  // namespace strata
