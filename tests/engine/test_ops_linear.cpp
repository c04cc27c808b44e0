// CPU backend linear (y = x · wᵀ + b) against a float64 reference, for f32, f16 and bf16
// weights, including shapes whose N spans several 256Ki-float decode tiles and K not a multiple
// of 8; plus the shape checks of the public Backend methods.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/backend/backend.h"
#include "engine/core/half.h"
#include "test_support.h"

namespace strata {
namespace {

using ut::normalized_error;

// A weight stored in `dtype`, and the values it decodes to (what the reference must use).
struct StoredWeight {
  DType dtype;
  std::vector<float> f32;
  std::vector<uint16_t> half;
  std::vector<double> decoded;

  StoredWeight(const std::vector<float>& v, DType dt) : dtype(dt) {
    decoded.resize(v.size());
    if (dt == DType::f32) {
      f32 = v;
      for (size_t i = 0; i < v.size(); ++i) decoded[i] = v[i];
      return;
    }
    half.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      half[i] = dt == DType::f16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
      decoded[i] = dt == DType::f16 ? f16_to_f32(half[i]) : bf16_to_f32(half[i]);
    }
  }
  void* data() { return dtype == DType::f32 ? static_cast<void*>(f32.data()) : half.data(); }
  Tensor matrix(int64_t rows, int64_t cols) { return Tensor(data(), dtype, {rows, cols}); }
  Tensor vector(int64_t n) { return Tensor(data(), dtype, {n}); }
};

// y[m, n] = sum_k x[m, k] w[n, k] + b[n], in double.
std::vector<double> linear_ref(const std::vector<float>& x, const std::vector<double>& w,
                               const std::vector<double>* b, int64_t m, int64_t k, int64_t n) {
  std::vector<double> y(size_t(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = b ? (*b)[size_t(j)] : 0.0;
      for (int64_t p = 0; p < k; ++p) acc += double(x[size_t(i * k + p)]) * w[size_t(j * k + p)];
      y[size_t(i * n + j)] = acc;
    }
  }
  return y;
}

// Tolerance against the original (pre-rounding) f32 weights: the storage dtype's rounding
// (f16: 2^-11 relative, bf16: 2^-8) dominates; the decoded-weight reference allows only fp32
// accumulation error whatever the dtype.
double storage_tolerance(DType dt) {
  switch (dt) {
    case DType::f32: return 1e-5;
    case DType::f16: return 2e-3;
    case DType::bf16: return 1.5e-2;
    default: return 0.0;
  }
}

struct Shape {
  int64_t m, k, n;
};

}  // namespace

TEST_CASE("cpu linear matches a float64 reference for f32/f16/bf16 weights", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  REQUIRE(backend->kind() == BackendKind::cpu);
  std::mt19937 rng(20240611);
  // K = 1024, N = 300: a 256-row tile then a 44-row tile; K = 262147 > the tile's floats (one
  // row per tile); 1030 = 509 + 509 + 12 rows; odd K throughout.
  const std::vector<Shape> shapes = {{1, 1024, 300}, {4, 1024, 300}, {3, 1001, 300},
                                     {1, 17, 5},     {7, 1, 9},      {2, 262147, 3},
                                     {33, 515, 1030}, {1, 8, 1}};
  for (const Shape& s : shapes) {
    for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
      for (bool with_bias : {false, true}) {
        CAPTURE(s.m, s.k, s.n, dtype_name(dt), with_bias);
        std::vector<float> x = ut::random_floats(rng, size_t(s.m * s.k));
        const std::vector<float> w_orig =
            ut::random_floats(rng, size_t(s.n * s.k), float(1.0 / std::sqrt(double(s.k))));
        const std::vector<float> b_orig = ut::random_floats(rng, size_t(s.n), 0.5f);
        StoredWeight w(w_orig, dt), b(b_orig, dt);
        // Output starts as NaN: linear must overwrite, never read, y.
        std::vector<float> y(size_t(s.m * s.n), std::numeric_limits<float>::quiet_NaN());
        Tensor yt(y.data(), DType::f32, {s.m, s.n});
        backend->linear(Tensor(x.data(), DType::f32, {s.m, s.k}), w.matrix(s.n, s.k),
                        with_bias ? b.vector(s.n) : Tensor(), yt);

        const auto ref = linear_ref(x, w.decoded, with_bias ? &b.decoded : nullptr, s.m, s.k, s.n);
        CHECK(normalized_error(y, ref) < 1e-5);
        std::vector<double> w_d(w_orig.begin(), w_orig.end()), b_d(b_orig.begin(), b_orig.end());
        const auto ref_orig = linear_ref(x, w_d, with_bias ? &b_d : nullptr, s.m, s.k, s.n);
        CHECK(normalized_error(y, ref_orig) < storage_tolerance(dt));
        // Every tile was written: no element left NaN, and each row's error is small too.
        for (int64_t i = 0; i < s.m; ++i) {
          const std::vector<float> row(y.begin() + i * s.n, y.begin() + (i + 1) * s.n);
          const std::vector<double> ref_row(ref.begin() + i * s.n, ref.begin() + (i + 1) * s.n);
          CHECK(normalized_error(row, ref_row) < 1e-5);
        }
      }
    }
  }
}

TEST_CASE("cpu linear decodes each tile's rows, not the first tile again", "[ops]") {
  // Rows of w that differ only per tile: row j holds the constant j + 1, so y[0, j] = (j + 1) * K
  // exactly; a tile decoded from the wrong offset gives the wrong constant.
  auto backend = make_backend(BackendKind::cpu);
  const int64_t k = 1024, n = 600;  // tiles of 256 rows: 256 + 256 + 88
  for (DType dt : {DType::f16, DType::bf16}) {
    CAPTURE(dtype_name(dt));
    std::vector<float> w_orig(size_t(n * k));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) w_orig[size_t(j * k + p)] = float((j % 200) + 1);
    StoredWeight w(w_orig, dt);
    std::vector<float> x(size_t(k), 1.0f), y(size_t(n), -1.0f);
    Tensor yt(y.data(), DType::f32, {1, n});
    backend->linear(Tensor(x.data(), DType::f32, {1, k}), w.matrix(n, k), Tensor(), yt);
    for (int64_t j = 0; j < n; ++j) {
      CAPTURE(j);
      REQUIRE(double(y[size_t(j)]) == w.decoded[size_t(j * k)] * double(k));
    }
  }
}

TEST_CASE("backend public methods throw strata::Error on mismatched shapes", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::vector<float> buf(4096, 0.0f);
  std::vector<uint16_t> hbuf(4096, 0);
  float* p = buf.data();
  auto f32 = [&](std::initializer_list<int64_t> shape) { return Tensor(p, DType::f32, shape); };

  SECTION("linear") {
    Tensor y = f32({2, 3});
    CHECK_THROWS_AS(backend->linear(f32({2, 4}), f32({3, 5}), Tensor(), y), Error);  // K
    Tensor y_bad_n = f32({2, 4});
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({3, 5}), Tensor(), y_bad_n), Error);
    Tensor y_bad_m = f32({3, 3});
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({3, 5}), Tensor(), y_bad_m), Error);
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({3, 5}), f32({4}), y), Error);  // bias
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({3, 5}), f32({1, 3}), y), Error);
    CHECK_THROWS_AS(backend->linear(Tensor(hbuf.data(), DType::f16, {2, 5}), f32({3, 5}),
                                    Tensor(), y),
                    Error);  // activations are f32
    CHECK_THROWS_AS(backend->linear(f32({10}), f32({3, 5}), Tensor(), y), Error);  // rank
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({15}), Tensor(), y), Error);
    Tensor y3 = f32({2, 3, 1});
    CHECK_THROWS_AS(backend->linear(f32({2, 5}), f32({3, 5}), Tensor(), y3), Error);
    CHECK_NOTHROW(backend->linear(f32({2, 5}), f32({3, 5}), f32({3}), y));
  }
  SECTION("layer_norm") {
    Tensor y = f32({2, 6});
    CHECK_THROWS_AS(backend->layer_norm(f32({2, 5}), Tensor(), Tensor(), 1e-5f, y), Error);
    CHECK_THROWS_AS(backend->layer_norm(f32({2, 6}), f32({5}), Tensor(), 1e-5f, y), Error);
    CHECK_THROWS_AS(backend->layer_norm(f32({2, 6}), Tensor(), f32({7}), 1e-5f, y), Error);
    CHECK_THROWS_AS(backend->layer_norm(f32({12}), Tensor(), Tensor(), 1e-5f, y), Error);
  }
  SECTION("add, activation, embedding") {
    Tensor y = f32({2, 3});
    CHECK_THROWS_AS(backend->add(f32({7}), y), Error);
    Tensor yh(hbuf.data(), DType::f16, {2, 3});
    CHECK_THROWS_AS(backend->add(f32({2, 3}), yh), Error);
    CHECK_THROWS_AS(backend->activation(Activation::relu, yh), Error);
    const int32_t ok_ids[2] = {0, 4}, bad_ids[2] = {0, 5}, neg_ids[2] = {-1, 0};
    CHECK_THROWS_AS(backend->embedding(f32({5, 4}), ok_ids, Accumulate::overwrite, y), Error);
    CHECK_THROWS_AS(backend->embedding(f32({5, 3}), bad_ids, Accumulate::overwrite, y), Error);
    CHECK_THROWS_AS(backend->embedding(f32({5, 3}), neg_ids, Accumulate::add, y), Error);
  }
  SECTION("attention") {
    std::vector<uint8_t> valid(64, 1);
    AttentionArgs a;
    a.q = f32({2, 3, 8});
    a.k_cache = f32({2, 5, 8});
    a.v_cache = f32({2, 5, 8});
    a.out = Tensor(buf.data() + 2048, DType::f32, {2, 3, 8});
    a.key_valid = valid.data();
    a.num_heads = 2;
    a.first_query_slot = 2;
    CHECK_NOTHROW(backend->attention(a));
    AttentionArgs bad = a;
    bad.first_query_slot = 3;  // queries at slots 3..5 of a 5-slot cache
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.first_query_slot = -1;
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.num_heads = 3;
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.num_heads = 0;
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.v_cache = f32({2, 4, 8});
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.k_cache = f32({1, 5, 8});
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.out = f32({2, 3, 4});
    CHECK_THROWS_AS(backend->attention(bad), Error);
    bad = a;
    bad.q = f32({6, 8});
    CHECK_THROWS_AS(backend->attention(bad), Error);
  }
}

}  // namespace strata
