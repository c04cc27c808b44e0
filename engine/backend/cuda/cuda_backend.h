// CudaBackend: the Backend op set on one GPU. Every Tensor it is given points to device memory
// (activations f32; weights f32, f16, bf16, or q4/q8 packed along rows, quant/format.h kCols).
// The raw host-side arguments — embedding ids (checked on the host by Backend::embedding) and
// attention key_valid masks — are host memory, as on the CPU backend: each call copies them
// into device scratch through a ring of pinned staging slots, so the caller may reuse them as
// soon as the call returns.
//
// Every op is queued asynchronously on the backend's compute stream (stream()); results are
// ready for the host after synchronize() or an event recorded on that stream, and other streams
// (copies: CudaTransfers) order against it with events, never with a device-wide sync.
//
// Numerics (tests/ops/ states the tolerances; tests/ops/op_backends.cpp lists what differs):
//   linear f32     cuBLAS SGEMM (CUBLAS_COMPUTE_32F, no TF32)
//   linear f16     x rounded to f16 on the device, then cuBLAS f16 x f16 with fp32 accumulation
//                  and fp32 output (cublasGemmEx, CUBLAS_COMPUTE_32F). Why: cuBLAS has no GEMM
//                  taking fp32 A with fp16 B, and converting the weight to fp32 instead would
//                  move twice its bytes and give up the tensor cores; x is [M, K] with M << N
//                  in decode, so its rounding (2^-11 relative) is the only extra error.
//   linear bf16    the same with x rounded to bf16 (sm_80+); before sm_80, which has no bf16
//                  tensor cores, x is rounded to bf16 too and weight row tiles are widened to
//                  fp32 for SGEMM, so every GPU computes the same products.
//   linear q4/q8   M <= fused_quant_max_m: quant/cuda's fused dequant-GEMM (fp32 x, weights
//                  never stored dequantized); larger M: row tiles dequantized to f16 in scratch,
//                  x rounded to f16, cuBLAS f16 GEMM with fp32 accumulation.
//   attention      tiled online softmax (cuda_attention.cu), fp32, head_dim <= 128, fp32 caches
//                  only (a packed q4/q8 cache is refused); grouped-query heads and windows.
//   rms_norm       fp32 block reduction of the squares (the CPU sums in double).
//   rope           fp32 angle and sincosf, unfused products (cuda_rope.cu).
//   store_rows     f32: a device copy; q4/q8: quant/cuda's quantize, bytewise the reference's
//                  for finite values (NaN and infinities saturate where the CPU throws).
//   others         fp32, the CPU backend's formulas.
#pragma once

#include <array>
#include <cstdint>

#include "engine/backend/attention_partial.h"
#include "engine/backend/backend.h"
#include "engine/backend/cuda/cublas_handle.h"
#include "engine/backend/cuda/cuda_device_memory.h"
#include "engine/backend/cuda/cuda_stream.h"
#include "engine/backend/cuda/device_arena.h"
#include "engine/backend/cuda/pinned_host_pool.h"

namespace strata {

struct CudaBackendOptions {
  // Device scratch (f16 copies of x, dequantized weight tiles, staged ids and masks). It grows
  // when an op needs more, which waits for the compute stream and reallocates: size it for the
  // largest op up front to keep that out of the hot loop.
  size_t scratch_bytes = size_t(64) << 20;
  // Budget of one dequantized / widened weight tile inside the scratch.
  size_t weight_tile_bytes = size_t(32) << 20;
  // q4/q8 linear: fused dequant-GEMM for M <= this (at most quant::cuda::kGemmDecodeMaxM), else
  // dequantized tiles + cuBLAS. 16 is a first guess, not a measurement: the fused kernel reads
  // the packed weight once per 8 rows of x and multiplies on CUDA cores.
  int64_t fused_quant_max_m = 16;
  // Receives the warning when pinned staging memory falls back to pageable memory.
  WarningSink warn;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(CudaBackendOptions options = {});
  ~CudaBackend() override;

  BackendKind kind() const override { return BackendKind::cuda; }
  // GPU memory, pinned host blocks, and copy queues whose compute queue is stream().
  DeviceMemory& memory() override { return memory_; }

  const cuda::CudaStream& compute_stream() const { return stream_; }
  cudaStream_t stream() const { return stream_.get(); }
  // Blocks the host until every op queued so far has run (tests, end of a step).
  void synchronize() const { stream_.synchronize(); }
  const CudaBackendOptions& options() const { return options_; }
  // Major compute capability of the device (7 for a T4, 9 for an H100).
  int compute_major() const { return compute_major_; }

  // Attention over one part of a KV cache with its merge state (attention_partial.h); device
  // tensors, host key_valid.
  void attention_partial(const AttentionPartialArgs& args);
  // into = merge(into, other) on the device; device tensors.
  void merge_attention_partials(const AttentionPartial& into, const AttentionPartial& other,
                                int64_t num_heads);

 private:
  void do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) override;
  void do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                     Tensor& y) override;
  void do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) override;
  void do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
               std::span<const float> inv_freq) override;
  void do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override;
  void do_add(const Tensor& x, Tensor& y) override;
  void do_activation(Activation kind, Tensor& x) override;
  void do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                    Tensor& y) override;
  void do_attention(const AttentionArgs& args) override;
  void do_store_rows(const Tensor& x, const Tensor& out) override;

  // Takes back the whole scratch arena (ops run in stream order, so the previous op's pieces are
  // free for the next one) and makes sure it holds `bytes`, each piece padded to 256 bytes.
  cuda::DeviceArena& scratch_for(size_t bytes);
  // Copies `bytes` host bytes to `device_dst` on the compute stream through a staging slot.
  void upload(const void* host, size_t bytes, void* device_dst);
  void run_attention(const AttentionArgs& a, int64_t slot_offset, float* max, float* sum);
  // y (+)= x · w[r0:r1]ᵀ for 16-bit operands: ldc = n so a row tile writes its columns of y.
  void gemm_16bit(const void* w, const uint16_t* x16, cudaDataType_t type, int64_t m,
                  int64_t rows, int64_t k, float* y, int64_t ldc);
  void gemm_f32(const float* w, const float* x, int64_t m, int64_t rows, int64_t k, float* y,
                int64_t ldc);
  void linear_quantized(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                        bool& bias_done);
  void linear_bf16_widened(const Tensor& x, const Tensor& w, Tensor& y);

  struct StagingSlot {
    cuda::PinnedHostPool memory;
    cuda::CudaEvent free;  // recorded after the copy that last read `memory`
  };
  static constexpr int kStagingSlots = 8;

  CudaBackendOptions options_;
  int compute_major_ = 0;
  cuda::CudaStream stream_;
  cuda::CublasHandle cublas_;  // bound to stream_ (declared after it)
  cuda::CudaDeviceMemory memory_;  // its compute queue is stream_
  cuda::DeviceArena scratch_;
  std::array<StagingSlot, kStagingSlots> staging_;
  int next_staging_ = 0;
};

}  // namespace strata
