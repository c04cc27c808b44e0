// layer_norm and rms_norm on every backend against float64 (reference/norm_reference.h): random
// rows including widths 1, 255, 257 and 12288 (one block thread short / over / many passes), 200
// rows of 768 (split across the CPU's threads),
// f32 / f16 / bf16 / absent parameters, y aliasing x, small rows (std 0.01, so eps's place
// matters) and rows with a large mean. RMSNorm also as Qwen3's per-head q/k norm: the op on a
// [rows * heads, head_dim] view of [rows, heads * head_dim], checked against a reference that
// walks the unreshaped layout head by head.
// Tolerance (normalized error): the CPU 2e-6 over a whole output (its layer norm sums in fp32,
// its RMSNorm in double), CUDA 1e-5 per row (fp32 block reductions).
#include <cmath>
#include <random>
#include <vector>

#include "ops/harness.h"
#include "ops/reference/linear_reference.h"
#include "ops/reference/norm_reference.h"

namespace strata::ops_test {
namespace {

using ut::normalized_error;

enum class Norm { layer, rms };

void check_norm_output(const OpBackend& be, const std::vector<float>& y,
                       const std::vector<double>& ref, int64_t m, int64_t h) {
  if (be.arithmetic == Arithmetic::cpu) {
    CHECK(normalized_error(y, ref) < 2e-6);
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    const std::vector<float> row(y.begin() + i * h, y.begin() + (i + 1) * h);
    const std::vector<double> ref_row(ref.begin() + i * h, ref.begin() + (i + 1) * h);
    CAPTURE(i);
    CHECK(normalized_error(row, ref_row) < 1e-5);
  }
}

void run_norm_trials(OpBackend& be, Norm norm) {
  std::mt19937 rng(7);
  const float eps = norm == Norm::layer ? 1e-5f : 1e-6f;
  for (int trial = 0; trial < 48; ++trial) {
    // Trials 4 and 5: enough rows that the CPU splits them across its threads.
    const int64_t m = trial == 4 || trial == 5 ? 200 : ut::random_int(rng, 1, 9);
    const int64_t h = trial < 4    ? std::vector<int64_t>{1, 255, 257, 12288}[size_t(trial)]
                      : trial < 6 ? 768
                                  : ut::random_int(rng, 1, trial % 2 ? 1100 : 3000);
    const bool use_gamma = trial % 2 == 0 || trial % 7 == 1, use_beta = trial % 4 < 2;
    const bool alias = trial % 3 == 0;
    const DType param_dtype =
        std::vector<DType>{DType::f32, DType::f16, DType::bf16}[size_t(trial % 3)];
    CAPTURE(trial, m, h, use_gamma, use_beta, alias, dtype_name(param_dtype));
    // Small rows (std 0.01: variance comparable to eps) are centred: an fp32 mean of a large
    // offset would dominate their error, which is not what is tested here.
    const float scale = trial % 5 == 0 ? 0.01f : 2.0f;
    const float offset = trial % 5 == 0 ? 0.0f : float(ut::random_int(rng, -3, 3));
    const std::vector<float> x = ut::random_floats(rng, size_t(m * h), scale, offset);
    const StoredValues g(ut::random_floats(rng, size_t(h), 0.5f, 1.0f), param_dtype);
    const StoredValues b(ut::random_floats(rng, size_t(h), 0.5f), param_dtype);
    const auto upload = [&](const auto& v) { return DeviceData(*be, v); };
    DeviceData dg = g.to_device(upload), db = b.to_device(upload);
    const Tensor gamma = use_gamma ? dg.tensor(param_dtype, {h}) : Tensor();
    const Tensor beta = use_beta ? db.tensor(param_dtype, {h}) : Tensor();
    DeviceData dx(*be, x), dy(*be, nan_floats(x.size()));
    Tensor xt = dx.tensor(DType::f32, {m, h});
    Tensor yt = alias ? xt : dy.tensor(DType::f32, {m, h});
    const std::vector<double> no_param;
    std::vector<double> ref;
    if (norm == Norm::layer) {
      be->layer_norm(xt, gamma, beta, eps, yt);
      ref = layer_norm_ref(x, m, h, use_gamma ? g.decoded : no_param,
                           use_beta ? b.decoded : no_param, eps);
    } else {
      be->rms_norm(xt, gamma, eps, yt);
      ref = rms_norm_ref(x, m, h, use_gamma ? g.decoded : no_param, eps);
    }
    check_norm_output(be, alias ? dx.floats() : dy.floats(), ref, m, h);
  }
}

}  // namespace

TEST_CASE("layer_norm matches a float64 reference", "[ops]") {
  for_each_backend([](OpBackend& be) { run_norm_trials(be, Norm::layer); });
}

TEST_CASE("rms_norm matches a float64 reference", "[ops]") {
  for_each_backend([](OpBackend& be) { run_norm_trials(be, Norm::rms); });
}

TEST_CASE("rms_norm per head (Qwen3 q/k norm) on a reshaped view", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(31);
    for (int trial = 0; trial < 12; ++trial) {
      const int64_t rows = ut::random_int(rng, 1, 7), heads = ut::random_int(rng, 1, 8);
      const int64_t head_dim = trial < 2 ? 128 : 2 * ut::random_int(rng, 1, 40);
      const DType dt = trial % 2 ? DType::bf16 : DType::f32;
      const bool alias = trial % 3 != 0;
      CAPTURE(trial, rows, heads, head_dim, dtype_name(dt), alias);
      // Heads of very different scales: a norm over the whole row would mix them.
      std::vector<float> x = ut::random_floats(rng, size_t(rows * heads * head_dim));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = 0; i < head_dim; ++i)
            x[size_t((r * heads + h) * head_dim + i)] *= float(1 << (h % 4 * 3));
      const StoredValues g(ut::random_floats(rng, size_t(head_dim), 0.3f, 1.0f), dt);
      const float eps = 1e-6f;
      // Reference over the [rows, heads * head_dim] layout, head by head.
      std::vector<double> ref(x.size());
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t h = 0; h < heads; ++h) {
          const size_t at = size_t((r * heads + h) * head_dim);
          double squares = 0.0;
          for (int64_t i = 0; i < head_dim; ++i) squares += double(x[at + i]) * x[at + i];
          const double inv = 1.0 / std::sqrt(squares / double(head_dim) + eps);
          for (int64_t i = 0; i < head_dim; ++i)
            ref[at + i] = x[at + i] * inv * g.decoded[size_t(i)];
        }
      }
      const auto upload = [&](const auto& v) { return DeviceData(*be, v); };
      DeviceData dg = g.to_device(upload), dx(*be, x), dy(*be, nan_floats(x.size()));
      const Tensor q = dx.tensor(DType::f32, {rows, heads * head_dim});
      Tensor out = alias ? q : dy.tensor(DType::f32, {rows, heads * head_dim});
      Tensor out_view = out.reshaped({rows * heads, head_dim});
      be->rms_norm(q.reshaped({rows * heads, head_dim}), dg.tensor(dt, {head_dim}), eps, out_view);
      check_norm_output(be, alias ? dx.floats() : dy.floats(), ref, rows * heads, head_dim);
    }
  });
}

TEST_CASE("rms_norm of a zero row is zero and eps keeps it finite", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::vector<float> x(64, 0.0f);
    x.resize(128, 1e-20f);  // second row: squares underflow below eps
    DeviceData dx(*be, x), dy(*be, nan_floats(x.size()));
    Tensor yt = dy.tensor(DType::f32, {2, 64});
    be->rms_norm(dx.tensor(DType::f32, {2, 64}), Tensor(), 1e-6f, yt);
    const std::vector<float> y = dy.floats();
    for (size_t i = 0; i < 64; ++i) REQUIRE(y[i] == 0.0f);
    // 1e-20 / sqrt(1e-40 + 1e-6) = 1e-17 (relative 1e-6 covers fp32 rounding).
    for (size_t i = 64; i < 128; ++i) REQUIRE(std::fabs(y[i] - 1e-17f) <= 1e-6f * 1e-17f);
  });
}

}  // namespace strata::ops_test
