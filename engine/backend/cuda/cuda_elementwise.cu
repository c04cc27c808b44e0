// Elementwise kernels of the CUDA backend: residual add, ReLU / GELU, SwiGLU's silu_mul, bias
// add, f32 <-> f16/bf16 conversions and the embedding gather. Grid-stride loops, one element per
// thread per step; fp32 arithmetic identical to the CPU backend's (add and ReLU bitwise, GELU
// within erff's ulps, silu_mul within expf's). silu_mul is compiled for sm_90 but not yet run on
// a GPU (no session had one): tests/ops checks it wherever a GPU answers.
#include "common/error.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_elem.cuh"

namespace strata::cuda::kernels {
namespace {

__global__ void add_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    y[i] += x[i];
  }
}

__global__ void relu_kernel(float* x, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  }
}

__global__ void gelu_kernel(float* x, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f));
  }
}

// Not __restrict__: out may alias gate or up (each element is read, then written, by one thread).
__global__ void silu_mul_kernel(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float g = gate[i], u = up[i];
    out[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), u);
  }
}

__global__ void add_bias_kernel(float* y, int64_t m, int64_t n, const void* bias, ElemType type) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < m * n;
       i += int64_t(gridDim.x) * blockDim.x) {
    y[i] += load_elem(bias, type, i % n);
  }
}

__global__ void f32_to_16bit_kernel(const float* __restrict__ src, int64_t n, ElemType type,
                                    uint16_t* __restrict__ dst) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dst[i] = type == ElemType::bf16 ? f32_to_bf16_bits(src[i]) : f32_to_f16_bits(src[i]);
  }
}

__global__ void to_f32_kernel(const void* src, ElemType type, int64_t n, float* dst) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dst[i] = load_elem(src, type, i);
  }
}

__global__ void embedding_kernel(const void* table, ElemType type, const int32_t* ids, int64_t m,
                                 int64_t d, bool accumulate, float* y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < m * d;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / d, col = i % d;
    const float v = load_elem(table, type, int64_t(ids[row]) * d + col);
    y[i] = accumulate ? y[i] + v : v;
  }
}

void check_count(int64_t n, const char* what) {
  STRATA_CHECK(n >= 0, what, ": negative element count ", n);
}

}  // namespace

void add(const float* x, float* y, int64_t n, Stream stream) {
  check_count(n, "add");
  if (n == 0) return;
  add_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n);
  STRATA_CUDA_CHECK_LAUNCH("add_kernel");
}

void relu(float* x, int64_t n, Stream stream) {
  check_count(n, "relu");
  if (n == 0) return;
  relu_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n);
  STRATA_CUDA_CHECK_LAUNCH("relu_kernel");
}

void gelu(float* x, int64_t n, Stream stream) {
  check_count(n, "gelu");
  if (n == 0) return;
  gelu_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n);
  STRATA_CUDA_CHECK_LAUNCH("gelu_kernel");
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n, Stream stream) {
  check_count(n, "silu_mul");
  if (n == 0) return;
  silu_mul_kernel<<<grid_for(n), kThreads, 0, stream>>>(gate, up, out, n);
  STRATA_CUDA_CHECK_LAUNCH("silu_mul_kernel");
}

void add_bias(float* y, int64_t m, int64_t n, const void* bias, ElemType type, Stream stream) {
  check_count(m * n, "add_bias");
  if (m * n == 0) return;
  add_bias_kernel<<<grid_for(m * n), kThreads, 0, stream>>>(y, m, n, bias, type);
  STRATA_CUDA_CHECK_LAUNCH("add_bias_kernel");
}

void f32_to_16bit(const float* src, int64_t n, ElemType type, uint16_t* dst, Stream stream) {
  check_count(n, "f32_to_16bit");
  STRATA_CHECK(type != ElemType::f32, "f32_to_16bit needs f16 or bf16 output");
  if (n == 0) return;
  f32_to_16bit_kernel<<<grid_for(n), kThreads, 0, stream>>>(src, n, type, dst);
  STRATA_CUDA_CHECK_LAUNCH("f32_to_16bit_kernel");
}

void to_f32(const void* src, ElemType type, int64_t n, float* dst, Stream stream) {
  check_count(n, "to_f32");
  if (n == 0) return;
  to_f32_kernel<<<grid_for(n), kThreads, 0, stream>>>(src, type, n, dst);
  STRATA_CUDA_CHECK_LAUNCH("to_f32_kernel");
}

void embedding(const void* table, ElemType type, const int32_t* ids, int64_t m, int64_t d,
               bool accumulate, float* y, Stream stream) {
  check_count(m * d, "embedding");
  if (m * d == 0) return;
  embedding_kernel<<<grid_for(m * d), kThreads, 0, stream>>>(table, type, ids, m, d, accumulate,
                                                               y);
  STRATA_CUDA_CHECK_LAUNCH("embedding_kernel");
}

}  // namespace strata::cuda::kernels
