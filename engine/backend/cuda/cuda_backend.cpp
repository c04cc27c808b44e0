// CudaBackend: construction, scratch and staging, and every op but linear (cuda_linear.cpp).
#include "engine/backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/make_cuda_backend.h"
#include "engine/cuda/cuda_probe.h"
#include "quant/cuda/quant_cuda.h"

namespace strata {
namespace {

constexpr size_t kPiece = cuda::DeviceArena::kDefaultAlignment;

size_t padded(size_t bytes) { return (bytes + kPiece - 1) / kPiece * kPiece; }

int current_compute_major() {
  int device = 0, major = 0;
  STRATA_CUDA_CHECK(cudaGetDevice(&device));
  STRATA_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  return major;
}

cuda::kernels::ElemType elem_type(DType t, const char* what) {
  switch (t) {
    case DType::f32: return cuda::kernels::ElemType::f32;
    case DType::f16: return cuda::kernels::ElemType::f16;
    case DType::bf16: return cuda::kernels::ElemType::bf16;
    default: break;
  }
  throw Error(str_cat(what, " of dtype ", dtype_name(t), " is not supported by the CUDA backend"));
}

// The kernel's storage of a KV cache tensor (Backend::attention checked its shape and format).
cuda::kernels::KvStorage kv_storage(DType t) {
  switch (t) {
    case DType::f32: return cuda::kernels::KvStorage::f32;
    case DType::f16: return cuda::kernels::KvStorage::f16;
    case DType::bf16: return cuda::kernels::KvStorage::bf16;
    case DType::q4: return cuda::kernels::KvStorage::q4;
    case DType::q8: return cuda::kernels::KvStorage::q8;
    default: break;
  }
  throw Error(str_cat("a KV cache of dtype ", dtype_name(t), " is not supported by CUDA attention"));
}

}  // namespace

CudaBackend::CudaBackend(CudaBackendOptions options)
    : options_(std::move(options)),
      compute_major_(current_compute_major()),
      cublas_(stream_.get()),
      memory_(stream_, options_.warn),
      scratch_(options_.scratch_bytes) {
  STRATA_CHECK(options_.fused_quant_max_m >= 0 &&
                   options_.fused_quant_max_m <= quant::cuda::kGemmDecodeMaxM,
               "fused_quant_max_m ", options_.fused_quant_max_m, " outside [0, ",
               quant::cuda::kGemmDecodeMaxM, "]");
  STRATA_CHECK(options_.weight_tile_bytes > 0, "weight_tile_bytes must be positive");
}

CudaBackend::~CudaBackend() {
  // Queued work may still read the scratch and staging memory freed below.
  cudaStreamSynchronize(stream_.get());  // status ignored: destructors never throw
}

cuda::DeviceArena& CudaBackend::scratch_for(size_t bytes) {
  if (bytes > scratch_.capacity()) {
    // Growing frees memory queued kernels may still use: wait for them (off the hot loop once
    // the scratch has seen the largest op).
    stream_.synchronize();
    const size_t grown = std::max(bytes, scratch_.capacity() * 2);
    scratch_ = cuda::DeviceArena();  // free first: the old and new blocks never coexist
    scratch_ = cuda::DeviceArena(grown);
  }
  scratch_.reset();
  return scratch_;
}

void CudaBackend::upload(const void* host, size_t bytes, void* device_dst) {
  if (bytes == 0) return;
  StagingSlot& slot = staging_[size_t(next_staging_)];
  next_staging_ = (next_staging_ + 1) % kStagingSlots;
  slot.free.synchronize();  // the copy that last read this slot, kStagingSlots uploads ago
  if (bytes > slot.memory.capacity()) {
    slot.memory = cuda::PinnedHostPool(std::max<size_t>(padded(bytes), 64 << 10), options_.warn);
  }
  std::memcpy(slot.memory.data(), host, bytes);
  STRATA_CUDA_CHECK(cudaMemcpyAsync(device_dst, slot.memory.data(), bytes,
                                    cudaMemcpyHostToDevice, stream_.get()));
  slot.free.record(stream_);
}

void CudaBackend::do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                float eps, Tensor& y) {
  cuda::kernels::LayerNormParams p;
  p.x = x.data<float>();
  p.y = y.data<float>();
  p.rows = x.dim(0);
  p.cols = x.dim(1);
  if (!gamma.empty()) {
    p.gamma = gamma.data();
    p.gamma_type = elem_type(gamma.dtype(), "layer_norm gamma");
  }
  if (!beta.empty()) {
    p.beta = beta.data();
    p.beta_type = elem_type(beta.dtype(), "layer_norm beta");
  }
  p.eps = eps;
  cuda::kernels::layer_norm(p, stream());
}

void CudaBackend::do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) {
  cuda::kernels::RmsNormParams p;
  p.x = x.data<float>();
  p.y = y.data<float>();
  p.rows = x.dim(0);
  p.cols = x.dim(1);
  if (!gamma.empty()) {
    p.gamma = gamma.data();
    p.gamma_type = elem_type(gamma.dtype(), "rms_norm gamma");
  }
  p.eps = eps;
  cuda::kernels::rms_norm(p, stream());
}

void CudaBackend::do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
                          std::span<const float> inv_freq) {
  const int64_t rows = x.dim(0);
  if (rows == 0 || x.dim(1) == 0) return;
  // The host positions and frequencies (a few KiB) travel on the compute stream, through staging.
  const size_t pos_bytes = size_t(rows) * sizeof(int32_t);
  const size_t freq_bytes = inv_freq.size() * sizeof(float);
  cuda::DeviceArena& arena = scratch_for(padded(pos_bytes) + padded(freq_bytes));
  auto* device_positions = static_cast<int32_t*>(arena.allocate(pos_bytes));
  auto* device_freq = static_cast<float*>(arena.allocate(freq_bytes));
  upload(positions, pos_bytes, device_positions);
  upload(inv_freq.data(), freq_bytes, device_freq);
  cuda::kernels::RopeParams p;
  p.x = x.data<float>();
  p.rows = rows;
  p.width = x.dim(1);
  p.head_dim = head_dim;
  p.positions = device_positions;
  p.inv_freq = device_freq;
  cuda::kernels::rope(p, stream());
}

void CudaBackend::do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  cuda::kernels::silu_mul(gate.data<float>(), up.data<float>(), out.data<float>(), out.numel(),
                          stream());
}

void CudaBackend::do_add(const Tensor& x, Tensor& y) {
  cuda::kernels::add(x.data<float>(), y.data<float>(), y.numel(), stream());
}

void CudaBackend::do_activation(Activation kind, Tensor& x) {
  switch (kind) {
    case Activation::relu: return cuda::kernels::relu(x.data<float>(), x.numel(), stream());
    case Activation::gelu: return cuda::kernels::gelu(x.data<float>(), x.numel(), stream());
  }
  throw Error(str_cat("activation ", int(kind), " is not implemented by the CUDA backend"));
}

void CudaBackend::do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                               Tensor& y) {
  const int64_t m = y.dim(0);
  if (m == 0) return;
  const size_t id_bytes = size_t(m) * sizeof(int32_t);
  auto* device_ids = static_cast<int32_t*>(scratch_for(padded(id_bytes)).allocate(id_bytes));
  upload(ids, id_bytes, device_ids);
  cuda::kernels::embedding(table.data(), elem_type(table.dtype(), "embedding table"), device_ids,
                           m, y.dim(1), mode == Accumulate::add, y.data<float>(), stream());
}

void CudaBackend::run_attention(const AttentionArgs& a, int64_t slot_offset, float* max,
                                float* sum) {
  const int64_t b = a.q.dim(0), s = a.k_cache.dim(1);
  cuda::kernels::FlashAttentionParams p;
  if (b * s > 0) {
    STRATA_CHECK(a.key_valid != nullptr, "attention over ", s, " slots without key_valid");
    const size_t mask_bytes = size_t(b * s);
    auto* mask = static_cast<uint8_t*>(scratch_for(padded(mask_bytes)).allocate(mask_bytes));
    upload(a.key_valid, mask_bytes, mask);
    p.key_valid = mask;
  }
  p.q = a.q.data<float>();
  p.k = a.k_cache.data();
  p.v = a.v_cache.data();
  p.kv_storage = kv_storage(a.k_cache.dtype());
  if (is_quantized(a.k_cache.dtype())) p.kv_group_size = a.k_cache.group_size();
  p.out = a.out.data<float>();
  p.max = max;
  p.sum = sum;
  p.batch = b;
  p.queries = a.q.dim(1);
  p.slots = s;
  p.hidden = a.q.dim(2);
  p.heads = a.num_heads;
  p.kv_heads = a.kv_heads();
  p.window = a.window;
  p.first_query_slot = a.first_query_slot;
  p.slot_offset = slot_offset;
  p.scale = a.scale;
  cuda::kernels::flash_attention(p, stream());
}

void CudaBackend::do_attention(const AttentionArgs& a) {
  // Backend::attention checked the shapes: q and out f32; K and V alike, f32, f16, bf16 or
  // packed q4/q8 (read as such by the kernel, cuda_attention.cu).
  run_attention(a, 0, nullptr, nullptr);
}

void CudaBackend::attention_partial(const AttentionPartialArgs& args) {
  check_attention_partial(args);
  run_attention(args.attention, args.slot_offset, args.max.data<float>(),
                args.sum.data<float>());
}

void CudaBackend::merge_attention_partials(const AttentionPartial& into,
                                           const AttentionPartial& other, int64_t num_heads) {
  check_attention_merge(into, other, num_heads);
  cuda::kernels::MergeParams p;
  p.out_a = into.out.data<float>();
  p.max_a = into.max.data<float>();
  p.sum_a = into.sum.data<float>();
  p.out_b = other.out.data<float>();
  p.max_b = other.max.data<float>();
  p.sum_b = other.sum.data<float>();
  p.rows = into.out.dim(0) * into.out.dim(1);
  p.heads = num_heads;
  p.head_dim = into.out.dim(2) / num_heads;
  cuda::kernels::merge_attention_partials(p, stream());
}

std::unique_ptr<Backend> make_cuda_backend(std::function<void(const std::string&)> warn) {
  const cuda::CudaProbe probe = cuda::probe_cuda();
  if (!probe.usable) fail_input("--backend cuda: ", probe.description);
  CudaBackendOptions options;
  options.warn = std::move(warn);
  return std::make_unique<CudaBackend>(std::move(options));
}

}  // namespace strata
