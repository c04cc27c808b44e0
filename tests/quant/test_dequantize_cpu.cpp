// AVX2 dequantization against the scalar reference: bitwise equal (not merely within an ulp),
// on quantized random matrices and on arbitrary packed bytes, for row ranges of both axes.
#include <catch2/catch.hpp>
#include <vector>

#include "common/error.h"
#include "quant/dequantize_cpu.h"
#include "quant/fp16.h"
#include "quant/group_codec.h"
#include "quant/reference.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

namespace {

// Arbitrary packed bytes whose headers are finite fp16 values (any code byte is valid).
std::vector<uint8_t> random_packed(std::mt19937_64& rng, const QuantFormat& f, int64_t rows,
                                   int64_t cols) {
  std::vector<uint8_t> p(size_t(packed_bytes(f, rows, cols)));
  for (auto& b : p) b = uint8_t(rng());
  std::uniform_int_distribution<int> bits(0, 0x7bff);  // finite magnitudes, subnormals included
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t at = f.axis == GroupAxis::kCols
                             ? r * row_bytes(f, cols) + c / f.group_size * block_bytes(f)
                             : r / f.group_size * band_bytes(f, cols) + c * 4;
      const uint16_t scale = uint16_t(bits(rng)), min = uint16_t(bits(rng) | (rng() & 0x8000));
      p[size_t(at)] = uint8_t(scale);
      p[size_t(at + 1)] = uint8_t(scale >> 8);
      p[size_t(at + 2)] = uint8_t(min);
      p[size_t(at + 3)] = uint8_t(min >> 8);
    }
  }
  return p;
}

void require_bitwise_equal(const QuantMatrix& w, int64_t r0, int64_t r1) {
  const size_t n = size_t((r1 - r0) * w.cols);
  std::vector<float> ref(n + 1, -7.0f), avx(n + 1, -7.0f), scalar(n + 1, -7.0f);
  dequantize_ref(w, r0, r1, ref.data());
  dequantize_cpu(w, r0, r1, avx.data(), CpuIsa::kAvx2);
  dequantize_cpu(w, r0, r1, scalar.data(), CpuIsa::kScalar);
  size_t avx_bad = 0, scalar_bad = 0, first = n;
  for (size_t i = 0; i < n; ++i) {
    const bool bad = f32_as_bits(avx[i]) != f32_as_bits(ref[i]);
    avx_bad += bad;
    scalar_bad += f32_as_bits(scalar[i]) != f32_as_bits(ref[i]);
    if (bad && first == n) first = i;
  }
  // The reference itself against the one-element definition of group_codec.h.
  size_t ref_bad = 0;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = 0; c < w.cols; ++c) {
      const float v = dequantize_element(w.format, w.data, w.cols, r, c);
      ref_bad += f32_as_bits(v) != f32_as_bits(ref[size_t((r - r0) * w.cols + c)]);
    }
  }
  REQUIRE(ref_bad == 0);
  INFO("rows [" << r0 << ", " << r1 << "): first AVX2 mismatch at element " << first);
  REQUIRE(avx_bad == 0);
  REQUIRE(scalar_bad == 0);
  CHECK(avx[n] == -7.0f);  // nothing written past the range
  CHECK(scalar[n] == -7.0f);
}

}  // namespace

TEST_CASE("AVX2 dequantization is bit-identical to the reference", "[quant]") {
  if (detect_cpu_isa() < CpuIsa::kAvx2) {
    WARN("this CPU has no AVX2/FMA/F16C: only the scalar path is tested");
    CHECK_THROWS_AS(check_cpu_isa(CpuIsa::kAvx2), strata::Error);
    return;
  }
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (const QuantFormat& f : test::all_formats()) {
    for (auto [rows, cols] :
         {std::pair<int64_t, int64_t>{1, 1}, {2, 7}, {3, 64}, {70, 131}, {200, 8}, {9, 1000}}) {
      CAPTURE(format_name(f), rows, cols);
      const std::vector<float> x = test::random_matrix(rng, rows, cols, -4, 4, 50);
      std::vector<uint8_t> packed(size_t(packed_bytes(f, rows, cols)));
      quantize_ref(f, x.data(), rows, cols, packed.data());
      const QuantMatrix w{f, packed.data(), rows, cols};
      require_bitwise_equal(w, 0, rows);
      require_bitwise_equal(w, rows / 3, rows - rows / 4);  // a range not aligned to bands

      const std::vector<uint8_t> junk = random_packed(rng, f, rows, cols);
      require_bitwise_equal({f, junk.data(), rows, cols}, 0, rows);
    }
  }
}

TEST_CASE("dequantize_cpu checks its arguments", "[quant]") {
  std::vector<uint8_t> packed(size_t(packed_bytes({}, 4, 64)));
  std::vector<float> out(4 * 64);
  const QuantMatrix w{{}, packed.data(), 4, 64};
  CHECK_THROWS_AS(dequantize_cpu(w, 3, 2, out.data(), CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(dequantize_cpu(w, 0, 5, out.data(), CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(dequantize_cpu(w, 0, 4, nullptr, CpuIsa::kScalar), strata::Error);
  CHECK_THROWS_AS(dequantize_cpu({{QuantBits::k4, 12}, packed.data(), 4, 64}, 0, 4, out.data(),
                                 CpuIsa::kScalar),
                  strata::Error);
  CHECK_NOTHROW(dequantize_cpu(w, 2, 2, nullptr, CpuIsa::kScalar));  // empty range
}
