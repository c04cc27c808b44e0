// The scalar reference quantizer against the float64 error bound, on fresh random inputs and
// on extreme groups.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"
#include "quant/fp16.h"
#include "quant/reference.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

namespace {

struct RoundTrip {
  std::vector<uint8_t> packed;
  std::vector<float> dq;
  QuantMatrix matrix() const { return {format, packed.data(), rows, cols}; }
  QuantFormat format;
  int64_t rows, cols;
};

RoundTrip round_trip(const QuantFormat& f, const std::vector<float>& x, int64_t rows,
                     int64_t cols) {
  RoundTrip t{std::vector<uint8_t>(size_t(packed_bytes(f, rows, cols))),
              std::vector<float>(x.size()), f, rows, cols};
  quantize_ref(f, x.data(), rows, cols, t.packed.data());
  dequantize_ref(t.matrix(), 0, rows, t.dq.data());
  return t;
}

double saturated(float v) { return std::clamp<double>(v, -65504.0, 65504.0); }

// Checks every element of x against the float64 bound of its group (and the tighter bound from
// its stored scale); returns the largest error seen in units of the bound.
double check_bounds(const QuantFormat& f, const std::vector<float>& x, int64_t rows, int64_t cols) {
  const RoundTrip t = round_trip(f, x, rows, cols);
  const bool along_row = f.axis == GroupAxis::kCols;
  double worst = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      // Group members re-derived from the axis, independently of the packed layout.
      const int64_t g0 = (along_row ? c : r) / f.group_size * f.group_size;
      const int64_t g1 = std::min<int64_t>(g0 + f.group_size, along_row ? cols : rows);
      double lo = INFINITY, hi = -INFINITY;
      for (int64_t i = g0; i < g1; ++i) {
        const double v = saturated(x[size_t(along_row ? r * cols + i : i * cols + c)]);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      const double xv = saturated(x[size_t(r * cols + c)]);
      const double dq = t.dq[size_t(r * cols + c)];
      const double err = std::fabs(xv - dq);
      const double bound = test::error_bound(lo, hi, xv, int(f.bits));
      const GroupHeader h = group_header_ref(t.matrix(), r, c);
      const double scale = f16_to_f32(h.scale), min = f16_to_f32(h.min);
      INFO("element (" << r << ", " << c << ") x=" << xv << " dq=" << dq << " group [" << lo << ", "
                       << hi << "] scale=" << scale << " min=" << min);
      REQUIRE(std::isfinite(dq));
      REQUIRE(err <= bound);
      REQUIRE(err <= scale / 2 * (1 + 1e-6) + std::ldexp(std::fabs(xv) + std::fabs(dq), -23));
      REQUIRE(min <= lo);  // min rounded down
      REQUIRE(double(std::fma(float((1 << int(f.bits)) - 1), float(scale), float(min))) >= hi);
      worst = std::max(worst, err / bound);
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("reference round trip stays within half a step on random inputs", "[quant]") {
  const uint64_t seed = test::fresh_seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  double worst = 0.0;
  for (const QuantFormat& f : test::all_formats()) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {5, 64}, {3, 200}, {130, 7}}) {
      CAPTURE(format_name(f), rows, cols);
      worst =
          std::max(worst, check_bounds(f, test::random_matrix(rng, rows, cols, -1, 1), rows, cols));
      worst = std::max(
          worst,
          check_bounds(f, test::random_matrix(rng, rows, cols, 0.5f, 900.0f, 40.0f), rows, cols));
      worst = std::max(
          worst, check_bounds(f, test::random_matrix(rng, rows, cols, -1e-3f, 2e-3f), rows, cols));
    }
  }
  // Random data uses most of the half-step budget somewhere: the bound is not vacuous.
  CHECK(worst > 0.3);
}

TEST_CASE("both axes group the same elements: rows(W) == cols(W^T) bit for bit", "[quant]") {
  std::mt19937_64 rng(test::fresh_seed());
  for (QuantBits b : {QuantBits::k4, QuantBits::k8}) {
    const int64_t rows = 150, cols = 37;  // ragged along both axes for g = 64
    const std::vector<float> w = test::random_matrix(rng, rows, cols, -3, 2, 10);
    std::vector<float> wt(w.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) wt[size_t(c * rows + r)] = w[size_t(r * cols + c)];
    }
    const RoundTrip a = round_trip({b, 64, GroupAxis::kRows}, w, rows, cols);
    const RoundTrip t = round_trip({b, 64, GroupAxis::kCols}, wt, cols, rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        REQUIRE(f32_as_bits(a.dq[size_t(r * cols + c)]) == f32_as_bits(t.dq[size_t(c * rows + r)]));
      }
    }
  }
}

TEST_CASE("extreme groups: constants, zeros, negative zero", "[quant]") {
  for (const QuantFormat& f : test::all_formats()) {
    CAPTURE(format_name(f));
    const int64_t n = f.group_size;
    // A constant exactly representable in fp16: scale 0, every value exact.
    RoundTrip t = round_trip(f, std::vector<float>(size_t(n), 2.5f), 1, n);
    CHECK(group_header_ref(t.matrix(), 0, 0).scale == 0);
    CHECK(std::all_of(t.dq.begin(), t.dq.end(), [](float v) { return v == 2.5f; }));
    // A constant that fp16 cannot hold: within a fifteenth of an fp16 ulp.
    const float pi = 3.14159265f;
    t = round_trip(f, std::vector<float>(size_t(n), pi), 1, n);
    for (float v : t.dq) REQUIRE(std::fabs(v - pi) <= test::fp16_ulp(pi) / 15 + 1e-7);
    // All +0 / all -0 / a mix: zeros come back as +0 (the sign of zero is not kept), the
    // header never holds -0.
    for (float z : {0.0f, -0.0f}) {
      std::vector<float> zeros(size_t(n), z);
      zeros[1] = -z;
      t = round_trip(f, zeros, 1, n);
      CHECK(group_header_ref(t.matrix(), 0, 0).min == 0x0000);
      CHECK(group_header_ref(t.matrix(), 0, 0).scale == 0x0000);
      for (float v : t.dq) REQUIRE(f32_as_bits(v) == 0u);
    }
  }
}

TEST_CASE("extreme groups: huge ranges, fp16 overflow, denormals", "[quant]") {
  std::mt19937_64 rng(test::fresh_seed());
  for (const QuantFormat& f : test::all_formats()) {
    const int64_t n = f.group_size;
    CAPTURE(format_name(f));
    // +-1e4 with its endpoints: half a step of 2e4 / L.
    std::vector<float> x = test::random_matrix(rng, 1, n, -1e4f, 1e4f);
    x[0] = -1e4f;
    x[2] = 1e4f;
    check_bounds(f, x, 1, n);
    // Beyond fp16: saturated to +-65504 first, then within the bound of the saturated values.
    x = test::random_matrix(rng, 1, n, -100, 100);
    x[0] = 7e4f;
    x[1] = -1e6f;
    x[3] = FLT_MAX;
    x[4] = 65519.0f;
    check_bounds(f, x, 1, n);
    RoundTrip t = round_trip(f, x, 1, n);
    const double step = 131008.0 / ((1 << int(f.bits)) - 1);
    CHECK(std::fabs(t.dq[0] - 65504.0) <= step / 2 * 1.01);
    CHECK(std::fabs(t.dq[1] + 65504.0) <= step / 2 * 1.01);
    // fp32 denormals and fp16-subnormal magnitudes: finite, within 2^-25-ish absolute.
    x = test::random_matrix(rng, 1, n, -1e-6f, 1e-6f);
    x[0] = 1e-40f;
    x[1] = -std::numeric_limits<float>::denorm_min();
    x[2] = -0.0f;
    check_bounds(f, x, 1, n);
    std::vector<float> tiny(size_t(n), 1e-40f);
    tiny[3] = -3e-42f;
    t = round_trip(f, tiny, 1, n);
    for (float v : t.dq) REQUIRE(std::fabs(v) <= std::ldexp(1.0, -25));
  }
}

TEST_CASE("NaN and infinity are rejected with the element named", "[quant]") {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY}) {
    std::vector<float> x(2 * 70, 1.0f);
    x[70 + 13] = bad;
    std::vector<uint8_t> out(size_t(packed_bytes({}, 2, 70)));
    try {
      quantize_ref({}, x.data(), 2, 70, out.data());
      FAIL("quantize_ref accepted " << bad);
    } catch (const strata::Error& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("element (1, 13)"));
      CHECK_THAT(std::string(e.what()), Catch::Contains("cannot be quantized"));
    }
  }
}
