// The CUDA backend's memory and ordering primitives: the factory, device arena and pinned pool,
// CUDA / cuBLAS errors as strata::Error, copies on their own streams ordered with compute by
// events. Its ops are tested by the op harness (tests/ops/, strata_test_ops_cuda) against
// float64 references like every backend's. Own main: without a GPU it checks that asking for
// the CUDA backend fails with an InputError, then exits 77 (ctest SKIP_RETURN_CODE: skipped).
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
#include "test_support.h"

namespace strata {
namespace {

using cut::DeviceArray;

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

}  // namespace strata

int main(int argc, char** argv) {
  return strata::cut::gpu_test_main(argc, argv, strata::cut::expect_cuda_refused);
}
