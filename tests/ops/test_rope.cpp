// rope on every backend against float64 (reference/rope_reference.h): random rows, heads and
// even head_dims (2 .. 256), positions from 0 to 131072 (Llama 3's context), inverse
// frequencies of bases 1e4 / 5e5 / 1e6, scaled and not. Per element of a rotated pair (a, b):
// |y - ref| <= 8 u (|a| + |b|), u = 2^-24: fp32 cos / sin (within 2 ulps on every backend), two
// products and a sum. Position 0 is the identity, exactly. Positions and frequencies are host
// arrays the caller may reuse as soon as the call returns.
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/harness.h"
#include "ops/reference/linear_reference.h"
#include "ops/reference/rope_reference.h"

namespace strata::ops_test {
namespace {

struct RopeCase {
  int64_t rows, heads, head_dim;
  std::vector<int32_t> positions;
  std::vector<float> inv_freq, x;
  int64_t width() const { return heads * head_dim; }
};

RopeCase random_rope_case(std::mt19937& rng, int trial) {
  RopeCase c;
  c.rows = ut::random_int(rng, 1, 9);
  c.heads = ut::random_int(rng, 1, 6);
  c.head_dim =
      trial < 3 ? std::vector<int64_t>{2, 128, 256}[size_t(trial)] : 2 * ut::random_int(rng, 1, 64);
  const int32_t max_position = trial % 3 == 0 ? 131072 : trial % 3 == 1 ? 4096 : 40;
  for (int64_t r = 0; r < c.rows; ++r) {
    c.positions.push_back(int32_t(ut::random_int(rng, 0, max_position)));
  }
  const double base = std::vector<double>{1e4, 5e5, 1e6}[size_t(trial % 3)];
  c.inv_freq = default_inv_freq(c.head_dim, base, trial % 4 == 3 ? 0.125 : 1.0);
  c.x = ut::random_floats(rng, size_t(c.rows * c.width()));
  return c;
}

// Checks y against the reference pair by pair; returns the largest error in units of the bound.
double check_rope(const RopeCase& c, const std::vector<float>& y) {
  const std::vector<double> ref =
      rope_ref(c.x, c.rows, c.width(), c.head_dim, c.positions, c.inv_freq);
  const int64_t half = c.head_dim / 2;
  double worst = 0.0;
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t h0 = 0; h0 < c.width(); h0 += c.head_dim) {
      for (int64_t i = 0; i < half; ++i) {
        const size_t lo = size_t(r * c.width() + h0 + i), hi = lo + size_t(half);
        const double bound = 8 * kU * (std::fabs(c.x[lo]) + std::fabs(c.x[hi])) + 1e-38;
        CAPTURE(r, h0, i, c.positions[size_t(r)], y[lo], ref[lo], y[hi], ref[hi]);
        REQUIRE(std::fabs(y[lo] - ref[lo]) <= bound);
        REQUIRE(std::fabs(y[hi] - ref[hi]) <= bound);
        worst = std::max(
            {worst, std::fabs(y[lo] - ref[lo]) / bound, std::fabs(y[hi] - ref[hi]) / bound});
      }
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("rope matches float64 rotate_half with fp32 angles", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(4711);
    for (int trial = 0; trial < 40; ++trial) {
      RopeCase c = random_rope_case(rng, trial);
      CAPTURE(trial, c.rows, c.heads, c.head_dim);
      DeviceData dx(*be, c.x);
      Tensor xt = dx.tensor(DType::f32, {c.rows, c.width()});
      be->rope(xt, c.head_dim, c.positions.data(), c.inv_freq);
      check_rope(c, dx.floats());
    }
  });
}

TEST_CASE("rope at position 0 is the identity and host arrays are free after the call", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(5);
    // Calls queued back to back from one positions / frequencies buffer, rewritten after each.
    constexpr int kCalls = 12;
    std::vector<RopeCase> cases;
    std::vector<std::unique_ptr<DeviceData>> data;
    std::vector<int32_t> positions;
    std::vector<float> inv_freq;
    for (int c = 0; c < kCalls; ++c) {
      cases.push_back(random_rope_case(rng, c));
      cases.back().positions[0] = 0;
      data.push_back(std::make_unique<DeviceData>(*be, cases.back().x));
    }
    for (int c = 0; c < kCalls; ++c) {
      const RopeCase& rc = cases[size_t(c)];
      positions = rc.positions;
      inv_freq = rc.inv_freq;
      Tensor xt = data[size_t(c)]->tensor(DType::f32, {rc.rows, rc.width()});
      be->rope(xt, rc.head_dim, positions.data(), inv_freq);
      std::fill(positions.begin(), positions.end(), 77777);
      std::fill(inv_freq.begin(), inv_freq.end(), -1.0f);
    }
    for (int c = 0; c < kCalls; ++c) {
      const RopeCase& rc = cases[size_t(c)];
      CAPTURE(c);
      const std::vector<float> y = data[size_t(c)]->floats();
      for (int64_t j = 0; j < rc.width(); ++j) REQUIRE(y[size_t(j)] == rc.x[size_t(j)]);
      check_rope(rc, y);
    }
  });
}

TEST_CASE("rope's angle is the fp32 product, not the exact one", "[ops]") {
  // At positions near 1e5 the fp32 angle differs from the exact one by up to ~0.004 rad: the
  // tight bound above separates the two, so a backend taking the angle in double fails. Checked
  // here on the reference itself, so the check above is known to have that power.
  RopeCase c;
  c.rows = 4, c.heads = 1, c.head_dim = 64;
  c.positions = {99991, 100003, 123457, 131071};
  c.inv_freq = default_inv_freq(c.head_dim, 5e5);
  std::mt19937 rng(3);
  c.x = ut::random_floats(rng, size_t(c.rows * c.width()));
  const std::vector<double> ref =
      rope_ref(c.x, c.rows, c.width(), c.head_dim, c.positions, c.inv_freq);
  double worst = 0.0;
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t i = 0; i < c.head_dim / 2; ++i) {
      const double theta = double(c.positions[size_t(r)]) * double(c.inv_freq[size_t(i)]);
      const double a = c.x[size_t(r * 64 + i)], b = c.x[size_t(r * 64 + i + 32)];
      const double exact = a * std::cos(theta) - b * std::sin(theta);
      worst = std::max(worst, std::fabs(exact - ref[size_t(r * 64 + i)]) /
                                  (8 * kU * (std::fabs(a) + std::fabs(b))));
    }
  }
  CHECK(worst > 100.0);
}

}  // namespace strata::ops_test
