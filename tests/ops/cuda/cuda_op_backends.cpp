// The backends of strata_test_ops_cuda (label gpu): the CUDA backend as make_backend gives it,
// and one whose tiny weight tiles and fused_quant_max_m = 0 send every q4/q8 linear through the
// dequantized-tile path (op_backends.h).
#include "engine/backend/cuda/cuda_backend.h"
#include "ops/op_backends.h"

namespace strata::ops_test {
namespace {

OpBackend cuda_entry(std::string name, std::unique_ptr<Backend> backend) {
  auto& cuda = dynamic_cast<CudaBackend&>(*backend);
  OpBackend e;
  e.name = std::move(name);
  e.arithmetic = Arithmetic::cuda;
  e.fused_quant_max_m = cuda.options().fused_quant_max_m;
  e.max_head_dim = 128;  // cuda_kernels.h kMaxHeadDim
  e.attention_partial = [&cuda](const AttentionPartialArgs& a) { cuda.attention_partial(a); };
  e.merge = [&cuda](const AttentionPartial& into, const AttentionPartial& other, int64_t heads) {
    cuda.merge_attention_partials(into, other, heads);
  };
  e.backend = std::move(backend);
  return e;
}

}  // namespace

void add_present_backends(std::vector<OpBackend>& list) {
  list.push_back(cuda_entry("cuda", make_backend(BackendKind::cuda)));
  CudaBackendOptions tiny;
  tiny.weight_tile_bytes = 4096;  // many row tiles per matrix
  tiny.fused_quant_max_m = 0;     // every m takes the tiled path
  list.push_back(cuda_entry("cuda-tiled-quant", std::make_unique<CudaBackend>(tiny)));
}

}  // namespace strata::ops_test
