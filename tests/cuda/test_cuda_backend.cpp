// The CUDA backend against float64 CPU references on fresh random inputs, with the tolerances
// stated at each check; plus its memory and ordering primitives. Catch2 like the CPU op tests
// (tests/engine/test_ops_*.cpp), with its own main: without a GPU it checks that asking for the
// CUDA backend fails with an InputError, then exits 77 (ctest SKIP_RETURN_CODE: skipped).
// This file: main, memory primitives, transfers, add, activations, embedding, layer norm.
// test_cuda_backend_linear.cpp: linear (f32/f16/bf16/q4/q8); test_cuda_backend_attention.cpp:
// attention, partial attention and the merge.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "cuda_test_support.h"
#include "gpu_test_main.h"
#include "engine/backend/backend.h"
#include "engine/backend/cuda/cublas_handle.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_transfers.h"
#include "engine/backend/cuda/pinned_host_pool.h"
#include "engine/core/half.h"
#include "test_support.h"

namespace strata {
namespace {

using cut::DeviceArray;

using ut::encode16;

}  // namespace

TEST_CASE("make_backend(cuda) gives the CUDA backend", "[cuda]") {
  auto backend = make_backend(BackendKind::cuda);
  CHECK(backend->kind() == BackendKind::cuda);
}

TEST_CASE("device arena and pinned pool carve aligned pieces and refuse overflow", "[cuda]") {
  cuda::DeviceArena arena(4096);
  void* a = arena.allocate(100);
  void* b = arena.allocate(1000, 512);
  CHECK(reinterpret_cast<uintptr_t>(a) % 256 == 0);
  CHECK(reinterpret_cast<uintptr_t>(b) % 512 == 0);
  CHECK(static_cast<char*>(b) >= static_cast<char*>(a) + 100);
  CHECK_THROWS_AS(arena.allocate(4096), Error);
  arena.reset();
  CHECK(arena.used() == 0);
  CHECK(arena.allocate(4096) != nullptr);

  std::vector<std::string> warnings;
  cuda::PinnedHostPool pool(1 << 20, [&](const std::string& w) { warnings.push_back(w); });
  // A GPU machine pins 1 MiB; if it could not, the fallback must have said so.
  CHECK(pool.pinned() == warnings.empty());
  if (!pool.pinned()) WARN("pinned memory fell back to pageable: " << warnings.front());
  void* p = pool.allocate(10);
  void* q = pool.allocate(10);
  CHECK(reinterpret_cast<uintptr_t>(p) % 4096 == 0);
  CHECK(reinterpret_cast<uintptr_t>(q) % 4096 == 0);
  CHECK(q != p);
  CHECK_THROWS_AS(pool.allocate(1 << 20), Error);
  pool.reset();
  CHECK(pool.allocate(1 << 20) == pool.data());
}

TEST_CASE("CUDA and cuBLAS failures become strata::Error naming the call site", "[cuda]") {
  void* p = nullptr;
  try {
    STRATA_CUDA_CHECK(cudaMalloc(&p, size_t(1) << 62));
    FAIL("a 4 EiB cudaMalloc succeeded");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("cudaMalloc") != std::string::npos);
    CHECK(what.find("test_cuda_backend.cpp") != std::string::npos);
  }
  cudaGetLastError();
  CHECK_THROWS_AS(cuda::DeviceBuffer(size_t(1) << 62), Error);
  cudaGetLastError();
  cuda::CudaStream stream;
  cuda::CublasHandle handle(stream.get());
  const float one = 1.0f;
  try {  // m = -1 is an invalid value
    STRATA_CUBLAS_CHECK(cublasSgemm(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, -1, 1, 1, &one,
                                    nullptr, 1, nullptr, 1, &one, nullptr, 1));
    FAIL("cublasSgemm accepted m = -1");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("cuBLAS call `cublasSgemm") != std::string::npos);
  }
}

TEST_CASE("copies on their own streams are ordered with compute by events", "[cuda]") {
  CudaBackend backend;
  cuda::CudaTransfers transfers;
  cuda::PinnedHostPool pool(size_t(3) << 24, {});
  const int64_t n = int64_t(1) << 22;  // 16 MiB per copy: long enough for a missing wait to show
  auto* in = static_cast<float*>(pool.allocate(size_t(n) * 4));
  auto* out = static_cast<float*>(pool.allocate(size_t(n) * 4));
  DeviceArray<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  std::mt19937 rng(3);
  for (int round = 0; round < 4; ++round) {
    const std::vector<float> base = ut::random_floats(rng, size_t(n));
    y.upload(base);
    for (int64_t i = 0; i < n; ++i) in[i] = float(i % 1000) + float(round);
    cuda::CudaEvent loaded, computed, stored;
    transfers.to_device(x.get(), in, size_t(n) * 4, nullptr, loaded);
    backend.compute_stream().wait(loaded);
    Tensor yt = y.tensor(DType::f32, {n});
    backend.add(x.tensor(DType::f32, {n}), yt);
    computed.record(backend.compute_stream());
    transfers.to_host(out, y.get(), size_t(n) * 4, &computed, stored);
    stored.synchronize();
    CHECK(stored.done());
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) bad += out[i] != base[size_t(i)] + in[i];
    CHECK(bad == 0);
  }
}

TEST_CASE("cuda add and relu are exact, gelu within a few ulps", "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(11);
  for (int64_t n : {1, 7, 1000, 4099, 1 << 20}) {
    const std::vector<float> x = ut::random_floats(rng, size_t(n), 3.0f);
    const std::vector<float> y = ut::random_floats(rng, size_t(n));
    DeviceArray<float> dx(x), dy(y);
    Tensor yt = dy.tensor(DType::f32, {n});
    backend.add(dx.tensor(DType::f32, {n}), yt);
    std::vector<float> expected(static_cast<size_t>(n));
    for (size_t i = 0; i < size_t(n); ++i) expected[i] = float(double(x[i]) + double(y[i]));
    CHECK(dy.host() == expected);

    DeviceArray<float> r(x), g(x);
    Tensor rt = r.tensor(DType::f32, {n}), gt = g.tensor(DType::f32, {n});
    backend.activation(Activation::relu, rt);
    backend.activation(Activation::gelu, gt);
    const std::vector<float> relu = r.host(), gelu = g.host();
    for (size_t i = 0; i < size_t(n); ++i) {
      CAPTURE(n, i, x[i]);
      REQUIRE(relu[i] == (x[i] > 0.0f ? x[i] : 0.0f));
      const double v = x[i], ref = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      // erff is within 2 ulps on the device: a few float ulps relative to |x|.
      REQUIRE(std::fabs(double(gelu[i]) - ref) <= 1e-6 * (std::fabs(v) + 1e-3));
    }
  }
}

TEST_CASE("cuda embedding gathers rows exactly and host ids are free after the call",
          "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(17);
  for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
    for (Accumulate mode : {Accumulate::overwrite, Accumulate::add}) {
      const int64_t v = ut::random_int(rng, 1, 50), d = ut::random_int(rng, 1, 300);
      CAPTURE(dtype_name(dt), mode == Accumulate::add, v, d);
      const std::vector<float> table = ut::random_floats(rng, size_t(v * d));
      std::vector<double> decoded(table.begin(), table.end());
      std::vector<uint16_t> table16;
      if (dt != DType::f32) table16 = encode16(table, dt, decoded);
      DeviceArray<float> t32(dt == DType::f32 ? table : std::vector<float>{});
      DeviceArray<uint16_t> t16(table16);
      const Tensor tt = dt == DType::f32 ? t32.tensor(dt, {v, d}) : Tensor(t16.get(), dt, {v, d}, Place::device);
      // More calls than staging slots, queued back to back (no synchronisation in between),
      // from one host ids buffer rewritten after each call: each must see the ids it was given.
      constexpr int kCalls = 20;
      std::vector<std::vector<int32_t>> given;
      std::vector<std::vector<float>> prior;
      std::vector<std::unique_ptr<DeviceArray<float>>> outs;
      for (int c = 0; c < kCalls; ++c) {
        const int64_t m = ut::random_int(rng, 1, 40);
        std::vector<int32_t> ids(static_cast<size_t>(m));
        for (auto& id : ids) id = int32_t(ut::random_int(rng, 0, v - 1));
        ids.back() = int32_t(v - 1);
        given.push_back(ids);
        prior.push_back(ut::random_floats(rng, size_t(m * d)));
        outs.push_back(std::make_unique<DeviceArray<float>>(prior.back()));
      }
      std::vector<int32_t> ids;
      for (int c = 0; c < kCalls; ++c) {
        ids = given[size_t(c)];
        const int64_t m = int64_t(ids.size());
        Tensor yt = outs[size_t(c)]->tensor(DType::f32, {m, d});
        backend.embedding(tt, ids.data(), mode, yt);
        std::fill(ids.begin(), ids.end(), 0);  // the caller reuses its buffer at once
      }
      for (int c = 0; c < kCalls; ++c) {
        const std::vector<float> y = outs[size_t(c)]->host();
        const int64_t m = int64_t(given[size_t(c)].size());
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < d; ++j) {
            const double row = decoded[size_t(given[size_t(c)][size_t(i)] * d + j)];
            const double before = mode == Accumulate::add ? prior[size_t(c)][size_t(i * d + j)] : 0.0;
            CAPTURE(c, i, j);
            REQUIRE(y[size_t(i * d + j)] == float(before + row));
          }
        }
      }
    }
  }
}

TEST_CASE("cuda layer_norm matches a float64 reference", "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(7);
  const float eps = 1e-5f;
  for (int trial = 0; trial < 36; ++trial) {
    const int64_t m = ut::random_int(rng, 1, 9);
    const int64_t h = trial < 4 ? std::vector<int64_t>{1, 255, 257, 12288}[size_t(trial)]
                                : ut::random_int(rng, 1, 3000);
    const bool use_gamma = trial % 2 == 0, use_beta = trial % 4 < 2, alias = trial % 3 == 0;
    const DType param_dtype = std::vector<DType>{DType::f32, DType::f16, DType::bf16}[size_t(trial % 3)];
    CAPTURE(trial, m, h, use_gamma, use_beta, alias, dtype_name(param_dtype));
    const float scale = trial % 5 == 0 ? 0.01f : 2.0f;
    const float offset = trial % 5 == 0 ? 0.0f : float(ut::random_int(rng, -3, 3));
    const std::vector<float> x = ut::random_floats(rng, size_t(m * h), scale, offset);
    const std::vector<float> g = ut::random_floats(rng, size_t(h), 0.5f, 1.0f);
    const std::vector<float> b = ut::random_floats(rng, size_t(h), 0.5f);
    std::vector<double> gd(g.begin(), g.end()), bd(b.begin(), b.end());
    std::vector<uint16_t> g16, b16;
    if (param_dtype != DType::f32) {
      g16 = encode16(g, param_dtype, gd);
      b16 = encode16(b, param_dtype, bd);
    }
    DeviceArray<float> dg(g), db(b);
    DeviceArray<uint16_t> dg16(g16), db16(b16);
    Tensor gamma, beta;
    if (use_gamma) {
      gamma = param_dtype == DType::f32 ? dg.tensor(DType::f32, {h})
                                        : Tensor(dg16.get(), param_dtype, {h}, Place::device);
    }
    if (use_beta) {
      beta = param_dtype == DType::f32 ? db.tensor(DType::f32, {h})
                                       : Tensor(db16.get(), param_dtype, {h}, Place::device);
    }
    DeviceArray<float> dx(x), dy(x.size());
    dy.fill_nan();
    Tensor xt = dx.tensor(DType::f32, {m, h});
    Tensor yt = alias ? xt : dy.tensor(DType::f32, {m, h});
    backend.layer_norm(xt, gamma, beta, eps, yt);
    const std::vector<float> y = alias ? dx.host() : dy.host();

    for (int64_t i = 0; i < m; ++i) {
      double mean = 0.0, var = 0.0;
      for (int64_t j = 0; j < h; ++j) mean += x[size_t(i * h + j)];
      mean /= double(h);
      for (int64_t j = 0; j < h; ++j) var += std::pow(x[size_t(i * h + j)] - mean, 2.0);
      var /= double(h);
      std::vector<double> ref(static_cast<size_t>(h));
      for (int64_t j = 0; j < h; ++j) {
        ref[size_t(j)] = (x[size_t(i * h + j)] - mean) / std::sqrt(var + double(eps)) *
                             (use_gamma ? gd[size_t(j)] : 1.0) +
                         (use_beta ? bd[size_t(j)] : 0.0);
      }
      const std::vector<float> row(y.begin() + i * h, y.begin() + (i + 1) * h);
      CAPTURE(i);
      // fp32 two-pass statistics: the CPU backend's tolerance.
      CHECK(ut::normalized_error(row, ref) < 1e-5);
    }
  }
}

}  // namespace strata

int main(int argc, char** argv) {
  return strata::cut::gpu_test_main(argc, argv, [](const char*) {
    // No GPU: the factory must refuse with an InputError that says why, then: skipped.
    try {
      strata::make_backend(strata::BackendKind::cuda);
      std::printf("FAIL: make_backend(cuda) succeeded without a GPU\n");
      return 1;
    } catch (const strata::InputError& e) {
      std::printf("no GPU (make_backend(cuda): %s): skipped\n", e.what());
      return 77;
    } catch (const std::exception& e) {
      std::printf("FAIL: make_backend(cuda) without a GPU threw a non-input error: %s\n", e.what());
      return 1;
    }
  });
}
