// Layer norm and RMSNorm, one block per row (llm.c layernorm_forward_kernel3 style, fp32).
// Layer norm: pass 1 the mean, pass 2 the centred variance (two passes like the CPU backend and
// torch, so a large mean costs no precision), pass 3 normalise and apply gamma / beta.
// RMSNorm: pass 1 the mean of squares, pass 2 normalise and apply gamma. Each thread writes only
// the elements it read in the last pass, after the reductions, so y may alias x.
// RMSNorm is compiled for sm_90 but not yet run on a GPU (no session had one): tests/ops checks
// it against float64 wherever a GPU answers.
#include <cfloat>

#include "common/error.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_elem.cuh"

namespace strata::cuda::kernels {
namespace {

constexpr int kNormThreads = 256;
constexpr int kWarps = kNormThreads / 32;

// Sum over the block; every thread gets the total. `shared` holds kWarps floats.
__device__ float block_sum(float v, float* shared) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // `shared` may still be read by a previous call
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) total += shared[w];
  return total;
}

__global__ void __launch_bounds__(kNormThreads) layer_norm_kernel(LayerNormParams p) {
  __shared__ float partial[kWarps];
  const int64_t row = blockIdx.x;
  const float* x = p.x + row * p.cols;
  float* y = p.y + row * p.cols;

  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < p.cols; j += kNormThreads) sum += x[j];
  const float mean = block_sum(sum, partial) / float(p.cols);

  float sq = 0.0f;
  for (int64_t j = threadIdx.x; j < p.cols; j += kNormThreads) {
    const float c = x[j] - mean;
    sq += c * c;
  }
  const float var = block_sum(sq, partial) / float(p.cols);
  const float inv = 1.0f / sqrtf(var + p.eps);

  for (int64_t j = threadIdx.x; j < p.cols; j += kNormThreads) {
    const float g = p.gamma ? load_elem(p.gamma, p.gamma_type, j) : 1.0f;
    const float b = p.beta ? load_elem(p.beta, p.beta_type, j) : 0.0f;
    y[j] = (x[j] - mean) * inv * g + b;
  }
}

__global__ void __launch_bounds__(kNormThreads) rms_norm_kernel(RmsNormParams p) {
  __shared__ float partial[kWarps];
  const int64_t row = blockIdx.x;
  const float* x = p.x + row * p.cols;
  float* y = p.y + row * p.cols;

  float sq = 0.0f;
  for (int64_t j = threadIdx.x; j < p.cols; j += kNormThreads) sq = fmaf(x[j], x[j], sq);
  const float mean = block_sum(sq, partial) / float(p.cols);
  const float inv = 1.0f / sqrtf(mean + p.eps);

  for (int64_t j = threadIdx.x; j < p.cols; j += kNormThreads) {
    const float g = p.gamma ? load_elem(p.gamma, p.gamma_type, j) : 1.0f;
    y[j] = x[j] * inv * g;
  }
}

}  // namespace

void layer_norm(const LayerNormParams& p, Stream stream) {
  STRATA_CHECK(p.rows >= 0 && p.cols >= 0, "layer_norm shape [", p.rows, ", ", p.cols, "]");
  STRATA_CHECK(p.rows <= INT32_MAX, "layer_norm: ", p.rows, " rows exceed one grid");
  if (p.rows == 0 || p.cols == 0) return;
  layer_norm_kernel<<<unsigned(p.rows), kNormThreads, 0, stream>>>(p);
  STRATA_CUDA_CHECK_LAUNCH("layer_norm_kernel");
}

void rms_norm(const RmsNormParams& p, Stream stream) {
  STRATA_CHECK(p.rows >= 0 && p.cols >= 0, "rms_norm shape [", p.rows, ", ", p.cols, "]");
  STRATA_CHECK(p.rows <= INT32_MAX, "rms_norm: ", p.rows, " rows exceed one grid");
  if (p.rows == 0 || p.cols == 0) return;
  rms_norm_kernel<<<unsigned(p.rows), kNormThreads, 0, stream>>>(p);
  STRATA_CUDA_CHECK_LAUNCH("rms_norm_kernel");
}

}  // namespace strata::cuda::kernels
