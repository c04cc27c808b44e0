// Benchmark (not a test): prefill GEMM TFLOP/s of CudaBackend::linear (f32 x rounded to f16 on
// the device, f16 weights, fp32 accumulation and output, bias added) against cuBLAS's own
// cublasGemmEx on the same shapes with x already f16 — the peak the backend can approach — for
// OPT's prefill shapes of one micro-batch (rows = sequences x prompt). Prints one line per shape
// and the ratio; exits 77 without a GPU. Run by scripts/device-check.sh.
//
//   strata_bench_cuda_gemm [hidden ffn rows]   (default: opt-6.7b, 4096 16384, rows 4096)
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/backend/cuda/cublas_handle.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_check.h"

namespace strata {
namespace {

// Seconds per call of fn (best of 3 rounds of `reps` calls after a warm-up), the stream
// synchronised inside the timing.
template <typename Fn, typename Sync>
double seconds_per_call(Fn&& fn, Sync&& sync, int reps = 10) {
  fn();
  sync();
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) fn();
    sync();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, s / reps);
  }
  return best;
}

struct Shape {
  const char* name;
  int64_t n, k;
};

void run(int64_t hidden, int64_t ffn, int64_t rows) {
  CudaBackend be;
  DeviceMemory& memory = be.memory();
  const Shape shapes[] = {{"q/k/v/out", hidden, hidden}, {"fc1", ffn, hidden}, {"fc2", hidden, ffn}};
  cuda::CublasHandle cublas(be.stream());
  std::printf("rows %lld (one micro-batch x prompt), f16 weights, fp32 accumulation\n",
              static_cast<long long>(rows));
  for (const Shape& s : shapes) {
    const int64_t m = rows, n = s.n, k = s.k;
    MemoryBlock x = memory.allocate_device(size_t(m * k) * 4);
    MemoryBlock x16 = memory.allocate_device(size_t(m * k) * 2);
    MemoryBlock w = memory.allocate_device(size_t(n * k) * 2);
    MemoryBlock bias = memory.allocate_device(size_t(n) * 4);
    MemoryBlock y = memory.allocate_device(size_t(m * n) * 4);
    // Zero-filled operands: GEMM time does not depend on the values.
    const Tensor xt(x.data(), DType::f32, {m, k}, Place::device);
    const Tensor wt(w.data(), DType::f16, {n, k}, Place::device);
    const Tensor bt(bias.data(), DType::f32, {n}, Place::device);
    Tensor yt(y.data(), DType::f32, {m, n}, Place::device);
    const auto sync = [&] { be.synchronize(); };
    const double backend = seconds_per_call([&] { be.linear(xt, wt, bt, yt); }, sync);
    const float one = 1.0f, zero = 0.0f;
    const double peak = seconds_per_call(
        [&] {
          STRATA_CUBLAS_CHECK(cublasGemmEx(cublas.get(), CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m),
                                           int(k), &one, w.data(), CUDA_R_16F, int(k), x16.data(),
                                           CUDA_R_16F, int(k), &zero, y.data(), CUDA_R_32F, int(n),
                                           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        },
        sync);
    const double flops = 2.0 * double(m) * double(n) * double(k);
    std::printf("%-10s [%lld x %lld] x [%lld x %lld]^T: backend %.1f TFLOP/s, cuBLAS alone "
                "%.1f TFLOP/s, ratio %.2f\n",
                s.name, static_cast<long long>(m), static_cast<long long>(k),
                static_cast<long long>(n), static_cast<long long>(k), flops / backend / 1e12,
                flops / peak / 1e12, peak / backend);
  }
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("no GPU: skipped\n");
    return 77;
  }
  const int64_t hidden = argc > 1 ? std::atoll(argv[1]) : 4096;
  const int64_t ffn = argc > 2 ? std::atoll(argv[2]) : 16384;
  const int64_t rows = argc > 3 ? std::atoll(argv[3]) : 4096;
  try {
    strata::run(hidden, ffn, rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata_bench_cuda_gemm: %s\n", e.what());
    return 1;
  }
  return 0;
}
