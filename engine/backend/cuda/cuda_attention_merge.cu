// Merge of two partial attention results on the device (decode over a KV cache split between
// device and host): one thread per (row, head) runs attention_merge.h's merge_partial_head, the
// very function the host merge runs and tests/engine/test_attention_merge.cpp checks. A thread
// walks its head's d contiguous floats alone (not coalesced), which is fine for the decode sizes
// this serves: [batch, 1, hidden] outputs, a few MiB at most.
#include "common/error.h"
#include "engine/backend/attention_merge.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_elem.cuh"

namespace strata::cuda::kernels {
namespace {

__global__ void merge_kernel(MergeParams p) {
  const int64_t n = p.rows * p.heads;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    merge_partial_head(p.out_a + i * p.head_dim, p.max_a[i], p.sum_a[i],
                       p.out_b + i * p.head_dim, p.max_b[i], p.sum_b[i], p.head_dim);
  }
}

}  // namespace

void merge_attention_partials(const MergeParams& p, Stream stream) {
  STRATA_CHECK(p.rows >= 0 && p.heads > 0 && p.head_dim > 0, "merge shape: rows ", p.rows,
               ", heads ", p.heads, ", head_dim ", p.head_dim);
  if (p.rows == 0) return;
  merge_kernel<<<grid_for(p.rows * p.heads), kThreads, 0, stream>>>(p);
  STRATA_CUDA_CHECK_LAUNCH("merge_kernel");
}

}  // namespace strata::cuda::kernels
