// add, relu / gelu, silu_mul and embedding on every backend against float64 references.
// add, relu and embedding are exact (one fp32 rounding of the exact result); gelu and silu_mul
// within a few fp32 ulps per element (erff / expf are within 2 ulps on every backend).
#include <cmath>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

#include "ops/harness.h"
#include "ops/reference/linear_reference.h"

namespace strata::ops_test {
namespace {

std::vector<float> with_specials(std::vector<float> x, std::initializer_list<float> specials) {
  x.insert(x.end(), specials);
  return x;
}

}  // namespace

TEST_CASE("add matches y += x exactly", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(11);
    for (int64_t n : {1, 7, 1000, 4099, 1 << 20}) {
      const std::vector<float> x = ut::random_floats(rng, size_t(n)),
                               y = ut::random_floats(rng, size_t(n));
      std::vector<float> expected(static_cast<size_t>(n));
      // A float sum rounded once from the exact double sum is what fp32 addition must give.
      for (size_t i = 0; i < size_t(n); ++i) expected[i] = float(double(x[i]) + double(y[i]));
      DeviceData dx(*be, x), dy(*be, y);
      Tensor yt = dy.tensor(DType::f32, {n});
      be->add(dx.tensor(DType::f32, {n}), yt);
      CHECK(dy.floats() == expected);
    }
    // Shapes may differ as long as the element counts match.
    DeviceData dx(*be, std::vector<float>(6, 1.5f)), dy(*be, std::vector<float>(6, 2.0f));
    Tensor yt = dy.tensor(DType::f32, {3, 2});
    be->add(dx.tensor(DType::f32, {2, 3}), yt);
    CHECK(dy.floats() == std::vector<float>(6, 3.5f));
  });
}

TEST_CASE("relu is exact and gelu (erf form) within a few ulps", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(13);
    for (size_t n : {size_t(5000), size_t(1) << 20}) {
      const std::vector<float> x =
          with_specials(ut::random_floats(rng, n, 3.0f),
                        {0.0f, -0.0f, 1e-30f, -1e-30f, 10.0f, -10.0f, 30.0f, -30.0f, 0.5f});
      const int64_t len = int64_t(x.size());
      DeviceData r(*be, x), g(*be, x);
      Tensor rt = r.tensor(DType::f32, {len}), gt = g.tensor(DType::f32, {len});
      be->activation(Activation::relu, rt);
      be->activation(Activation::gelu, gt);
      const std::vector<float> relu = r.floats(), gelu = g.floats();
      std::vector<double> ref(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i];
        ref[i] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      }
      CHECK(ut::normalized_error(gelu, ref) < 1e-6);
      const size_t bad_relu =
          first_failure(x.size(), [&](size_t i) { return relu[i] == (x[i] > 0.0f ? x[i] : 0.0f); });
      // Per element: a few float ulps relative to |x| (gelu(x) ~ x for large x, ~ 0 for very
      // negative x), which also rules out the tanh approximation (off by up to ~1e-3).
      const size_t bad_gelu = first_failure(x.size(), [&](size_t i) {
        return std::fabs(double(gelu[i]) - ref[i]) <= 1e-6 * (std::fabs(double(x[i])) + 1e-3);
      });
      const size_t at_r = std::min(bad_relu, x.size() - 1), at_g = std::min(bad_gelu, x.size() - 1);
      CAPTURE(n, bad_relu, x[at_r], relu[at_r], bad_gelu, x[at_g], gelu[at_g], ref[at_g]);
      CHECK(bad_relu == x.size());
      CHECK(bad_gelu == x.size());
    }
  });
}

TEST_CASE("silu_mul matches silu(gate) * up per element, in place or not", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(19);
    for (int64_t n : {1, 33, 4099, 100000}) {
      const int64_t m = n % 2 ? 1 : 4;  // [m, n / m]
      const std::vector<float> gate =
          with_specials(ut::random_floats(rng, size_t(n - 1), 3.0f), {n > 1 ? -100.0f : 0.5f});
      const std::vector<float> up = ut::random_floats(rng, size_t(n));
      std::vector<float> g = gate;
      if (n >= 16) {  // exp(-g) overflows, underflows; zeros of either sign; tiny values
        const float special[] = {0.0f,  -0.0f,  1e-30f, -1e-30f, 20.0f, -20.0f, 90.0f, -90.0f,
                                 88.0f, -88.0f, 1e6f,   -1e6f,   0.5f,  -0.5f,  3.0f};
        for (size_t i = 0; i < std::size(special); ++i) g[i] = special[i];
      }
      std::vector<double> ref(static_cast<size_t>(n));
      for (size_t i = 0; i < size_t(n); ++i) {
        const double v = g[i];
        ref[i] = v / (1.0 + std::exp(-v)) * double(up[i]);
      }
      for (int alias = 0; alias < 3; ++alias) {  // 0: separate out; 1: out = gate; 2: out = up
        CAPTURE(n, alias);
        DeviceData dg(*be, g), du(*be, up), dout(*be, nan_floats(size_t(n)));
        const Tensor gt = dg.tensor(DType::f32, {m, n / m}),
                     ut_ = du.tensor(DType::f32, {m, n / m});
        Tensor out = alias == 1 ? gt : alias == 2 ? ut_ : dout.tensor(DType::f32, {m, n / m});
        be->silu_mul(gt, ut_, out);
        const std::vector<float> y = alias == 1   ? dg.floats()
                                     : alias == 2 ? du.floats()
                                                  : dout.floats();
        // expf, one add, one divide, one multiply: a few ulps of the result; the absolute 1e-30
        // covers results below fp32's normal range (gate -90: e^90 overflows, silu is -0).
        const size_t bad = first_failure(size_t(n), [&](size_t i) {
          return std::fabs(double(y[i]) - ref[i]) <= 1e-6 * std::fabs(ref[i]) + 1e-30;
        });
        const size_t i = std::min(bad, size_t(n) - 1);
        CAPTURE(bad, g[i], up[i], y[i], ref[i]);
        CHECK(bad == size_t(n));
      }
    }
  });
}

TEST_CASE("embedding gathers rows exactly and host ids are free after the call", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(17);
    for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
      for (Accumulate mode : {Accumulate::overwrite, Accumulate::add}) {
        const int64_t v = ut::random_int(rng, 1, 50), d = ut::random_int(rng, 1, 300);
        CAPTURE(dtype_name(dt), mode == Accumulate::add, v, d);
        const StoredValues table(ut::random_floats(rng, size_t(v * d)), dt);
        const auto upload = [&](const auto& x) { return DeviceData(*be, x); };
        DeviceData dt_table = table.to_device(upload);
        const Tensor tt = dt_table.tensor(dt, {v, d});
        // More calls than CUDA's staging slots, queued back to back, from one host ids buffer
        // rewritten after each call: each must see the ids it was given.
        constexpr int kCalls = 20;
        std::vector<std::vector<int32_t>> given;
        std::vector<std::vector<float>> prior;
        std::vector<std::unique_ptr<DeviceData>> outs;
        for (int c = 0; c < kCalls; ++c) {
          const int64_t m = ut::random_int(rng, 1, 40);
          std::vector<int32_t> ids(static_cast<size_t>(m));
          for (auto& id : ids) id = int32_t(ut::random_int(rng, 0, v - 1));
          ids.back() = int32_t(v - 1);  // the last row is reachable
          given.push_back(ids);
          prior.push_back(ut::random_floats(rng, size_t(m * d)));
          outs.push_back(std::make_unique<DeviceData>(*be, prior.back()));
        }
        std::vector<int32_t> ids;
        for (int c = 0; c < kCalls; ++c) {
          ids = given[size_t(c)];
          Tensor yt = outs[size_t(c)]->tensor(DType::f32, {int64_t(ids.size()), d});
          be->embedding(tt, ids.data(), mode, yt);
          std::fill(ids.begin(), ids.end(), 0);  // the caller reuses its buffer at once
        }
        for (int c = 0; c < kCalls; ++c) {
          const std::vector<float> y = outs[size_t(c)]->floats();
          for (size_t i = 0; i < given[size_t(c)].size(); ++i) {
            for (int64_t j = 0; j < d; ++j) {
              const double row = table.decoded[size_t(given[size_t(c)][i] * d + j)];
              const double before =
                  mode == Accumulate::add ? prior[size_t(c)][i * size_t(d) + size_t(j)] : 0.0;
              CAPTURE(c, i, j);
              REQUIRE(y[i * size_t(d) + size_t(j)] == float(before + row));
            }
          }
        }
      }
    }
  });
}

}  // namespace strata::ops_test
