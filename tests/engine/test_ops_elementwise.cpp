// CPU backend layer_norm, add, relu/gelu and embedding against float64 references.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/half.h"
#include "test_support.h"

namespace strata {
namespace {

using ut::normalized_error;

using ut::encode16;

}  // namespace

TEST_CASE("cpu layer_norm matches a float64 reference", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(7);
  const float eps = 1e-5f;
  for (int trial = 0; trial < 24; ++trial) {
    const int64_t m = ut::random_int(rng, 1, 9), h = ut::random_int(rng, 1, 1100);
    const bool use_gamma = trial % 2 == 0, use_beta = trial % 4 < 2, alias = trial % 3 == 0;
    const DType param_dtype = trial % 6 < 3 ? DType::f32 : DType::f16;
    CAPTURE(trial, m, h, use_gamma, use_beta, alias, dtype_name(param_dtype));
    // Small rows (std 0.01, variance comparable to eps, so eps's place matters) are centred: an
    // fp32 mean of a large offset would dominate their error, which is not what is tested here.
    const float scale = trial % 5 == 0 ? 0.01f : 2.0f;
    const float offset = trial % 5 == 0 ? 0.0f : float(ut::random_int(rng, -3, 3));
    std::vector<float> x = ut::random_floats(rng, size_t(m * h), scale, offset);
    std::vector<float> g = ut::random_floats(rng, size_t(h), 0.5f, 1.0f);
    std::vector<float> b = ut::random_floats(rng, size_t(h), 0.5f);
    std::vector<double> gd(g.begin(), g.end()), bd(b.begin(), b.end());
    std::vector<uint16_t> g16, b16;
    Tensor gamma, beta;
    if (param_dtype == DType::f16) {
      g16 = encode16(g, DType::f16, gd);
      b16 = encode16(b, DType::f16, bd);
      if (use_gamma) gamma = Tensor(g16.data(), DType::f16, {h});
      if (use_beta) beta = Tensor(b16.data(), DType::f16, {h});
    } else {
      if (use_gamma) gamma = Tensor(g.data(), DType::f32, {h});
      if (use_beta) beta = Tensor(b.data(), DType::f32, {h});
    }
    // Reference: per row, population variance, (x - mean) / sqrt(var + eps) * g + b.
    std::vector<double> ref(x.size());
    for (int64_t i = 0; i < m; ++i) {
      double mean = 0.0, var = 0.0;
      for (int64_t j = 0; j < h; ++j) mean += x[size_t(i * h + j)];
      mean /= double(h);
      for (int64_t j = 0; j < h; ++j) var += std::pow(x[size_t(i * h + j)] - mean, 2);
      var /= double(h);
      for (int64_t j = 0; j < h; ++j) {
        const double n = (x[size_t(i * h + j)] - mean) / std::sqrt(var + double(eps));
        ref[size_t(i * h + j)] = n * (use_gamma ? gd[size_t(j)] : 1.0) + (use_beta ? bd[size_t(j)] : 0.0);
      }
    }
    std::vector<float> y_store(x.size(), -7.0f);
    float* y_ptr = alias ? x.data() : y_store.data();
    Tensor y(y_ptr, DType::f32, {m, h});
    backend->layer_norm(Tensor(x.data(), DType::f32, {m, h}), gamma, beta, eps, y);
    const std::vector<float> out(y_ptr, y_ptr + m * h);
    CHECK(normalized_error(out, ref) < 2e-6);
  }
}

TEST_CASE("cpu add matches y += x exactly", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(11);
  for (int64_t n : {1, 7, 1000, 4099}) {
    std::vector<float> x = ut::random_floats(rng, size_t(n)), y = ut::random_floats(rng, size_t(n));
    std::vector<float> expected(static_cast<size_t>(n));
    // A float sum rounded once from the exact double sum is what fp32 addition must give.
    for (size_t i = 0; i < size_t(n); ++i) expected[i] = float(double(x[i]) + double(y[i]));
    Tensor yt(y.data(), DType::f32, {n});
    backend->add(Tensor(x.data(), DType::f32, {n}), yt);
    CHECK(y == expected);
  }
  // Shapes may differ as long as the element counts match.
  std::vector<float> x(6, 1.5f), y(6, 2.0f);
  Tensor yt(y.data(), DType::f32, {3, 2});
  backend->add(Tensor(x.data(), DType::f32, {2, 3}), yt);
  CHECK(y == std::vector<float>(6, 3.5f));
}

TEST_CASE("cpu relu and gelu (erf form) match float64 references", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(13);
  std::vector<float> x = ut::random_floats(rng, 5000, 3.0f);
  for (float special : {0.0f, -0.0f, 1e-30f, -1e-30f, 10.0f, -10.0f, 30.0f, -30.0f, 0.5f}) {
    x.push_back(special);
  }
  const int64_t n = int64_t(x.size());

  std::vector<float> r = x;
  Tensor rt(r.data(), DType::f32, {n});
  backend->activation(Activation::relu, rt);
  for (size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i]);
    REQUIRE(r[i] == (x[i] > 0.0f ? x[i] : 0.0f));
  }

  std::vector<float> g = x;
  Tensor gt2(g.data(), DType::f32, {n});
  backend->activation(Activation::gelu, gt2);
  std::vector<double> ref(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    ref[i] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  }
  CHECK(normalized_error(g, ref) < 1e-6);
  for (size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i], g[i], ref[i]);
    // Per element: a few float ulps relative to |x| (gelu(x) ~ x for large x, ~ 0 for very
    // negative x), which also rules out the tanh approximation (off by up to ~1e-3).
    REQUIRE(std::fabs(double(g[i]) - ref[i]) <= 1e-6 * (std::fabs(double(x[i])) + 1e-3));
  }
}

TEST_CASE("cpu embedding gathers rows (overwrite and add) for f32/f16/bf16 tables", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(17);
  for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
    for (Accumulate mode : {Accumulate::overwrite, Accumulate::add}) {
      const int64_t v = ut::random_int(rng, 1, 50), d = ut::random_int(rng, 1, 70);
      const int64_t m = ut::random_int(rng, 1, 20);
      CAPTURE(dtype_name(dt), mode == Accumulate::add, v, d, m);
      std::vector<float> table = ut::random_floats(rng, size_t(v * d));
      std::vector<double> decoded(table.begin(), table.end());
      std::vector<uint16_t> table16;
      Tensor tt(table.data(), DType::f32, {v, d});
      if (dt != DType::f32) {
        table16 = encode16(table, dt, decoded);
        tt = Tensor(table16.data(), dt, {v, d});
      }
      std::vector<int32_t> ids(static_cast<size_t>(m));
      for (auto& id : ids) id = int32_t(ut::random_int(rng, 0, v - 1));
      ids.back() = int32_t(v - 1);  // the last row is reachable
      std::vector<float> y = ut::random_floats(rng, size_t(m * d));
      const std::vector<float> y0 = y;
      Tensor yt(y.data(), DType::f32, {m, d});
      backend->embedding(tt, ids.data(), mode, yt);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < d; ++j) {
          const double row = decoded[size_t(ids[size_t(i)] * d + j)];
          const double prior = mode == Accumulate::add ? double(y0[size_t(i * d + j)]) : 0.0;
          CAPTURE(i, j);
          REQUIRE(y[size_t(i * d + j)] == float(prior + row));
        }
      }
    }
  }
}

}  // namespace strata
