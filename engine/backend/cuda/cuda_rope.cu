// Rotary position embedding on the device (Backend::rope, transformers' rotate_half layout): one
// thread per (row, head, i < head_dim / 2) pair in a grid-stride loop; θ = float(position) *
// inv_freq[i] in fp32 as transformers computes its freqs, then sincosf (the accurate one, not
// __sinf: θ reaches thousands of radians). The rotation uses explicitly rounded products
// (__fmul_rn) so nvcc does not contract them into FMAs: the result is then the CPU backend's up
// to sincosf's ulps (torch also rounds each product).
// Compiled for sm_90 but not yet run on a GPU (no session had one): tests/ops checks it against
// float64 wherever a GPU answers.
#include "common/error.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_elem.cuh"

namespace strata::cuda::kernels {
namespace {

__global__ void rope_kernel(RopeParams p) {
  const int64_t half = p.head_dim / 2, heads = p.width / p.head_dim;
  const int64_t n = p.rows * heads * half;
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = idx % half, h = idx / half % heads, r = idx / (half * heads);
    const float theta = __fmul_rn(float(p.positions[r]), p.inv_freq[i]);
    float s, c;
    sincosf(theta, &s, &c);
    float* lo = p.x + r * p.width + h * p.head_dim + i;
    float* hi = lo + half;
    const float a = *lo, b = *hi;
    *lo = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    *hi = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
  }
}

}  // namespace

void rope(const RopeParams& p, Stream stream) {
  STRATA_CHECK(p.rows >= 0 && p.head_dim > 0 && p.head_dim % 2 == 0 && p.width % p.head_dim == 0,
               "rope shape: rows ", p.rows, ", width ", p.width, ", head_dim ", p.head_dim);
  const int64_t n = p.rows * (p.width / 2);
  if (n == 0) return;
  rope_kernel<<<grid_for(n), kThreads, 0, stream>>>(p);
  STRATA_CUDA_CHECK_LAUNCH("rope_kernel");
}

}  // namespace strata::cuda::kernels
