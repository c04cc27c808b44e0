// Backend: the op set every compute backend implements (CPU, CUDA). Public methods check shapes
// and dtypes once, here, then call the backend's implementation (do_*), so each backend only
// computes. Activations are fp32; weights may be f32, f16 or bf16, and a linear's weight also
// q4/q8 (packed group-wise along each row, quant/format.h kCols; Tensor::packed). Every op is
// tested on every backend present against a float64 reference by one harness (tests/ops/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "engine/backend/backend_kind.h"
#include "engine/backend/device_memory.h"
#include "engine/core/activation.h"
#include "engine/core/tensor.h"

namespace strata {

enum class Accumulate { overwrite, add };

// Attention with grouped-query heads (GQA, Ainslie et al. 2023; transformers repeat_kv):
// head_dim = q's last dim / num_heads (it need not be a model's hidden / heads: Qwen3), and query
// head h reads KV head h / (num_heads / num_kv_heads). The KV cache rows are kv_heads * head_dim
// wide: dense f32, f16 or bf16 [B, S_max, kv_heads * head_dim], or compressed: packed q4/q8
// [B, S_max, kv_heads, head_dim] with groups along head_dim (engine/models/kv_format.h), K and V
// in the same format; a backend widens half elements as it reads them and dequantizes the
// packed rows it reads, never making an fp32 copy of the cache.
// Query t (at slot p = first_query_slot + t) sees slot s when key_valid[b, s], s <= p (causal)
// and, with a window, s > p - window (Mistral's sliding window: the slots of a sequence's real
// tokens are contiguous, so slot distance is position distance).
// The dense element types a KV cache may hold (AttentionArgs, Backend::store_rows).
constexpr bool is_kv_dense_dtype(DType t) {
  return t == DType::f32 || t == DType::f16 || t == DType::bf16;
}

struct AttentionArgs {
  Tensor q;                       // [B, T, heads * head_dim] f32: queries of T new positions
  Tensor k_cache;                 // keys of every slot (new ones written): see above
  Tensor v_cache;                 // values, same shape and format as k_cache
  const uint8_t* key_valid;       // [B, S_max]: 1 where slot s of sequence b holds a real token
  int64_t first_query_slot = 0;   // slot of q's first position; query t sees slots <= first + t
  int64_t num_heads = 1;
  float scale = 1.0f;             // applied to q·k (OPT: head_dim^-0.5)
  Tensor out;                     // [B, T, heads * head_dim] f32
  int64_t num_kv_heads = 0;       // 0: num_heads (no grouping); must divide num_heads
  int64_t window = 0;             // 0: unlimited; else query at slot p sees (p - window, p]

  int64_t kv_heads() const { return num_kv_heads == 0 ? num_heads : num_kv_heads; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  // Where this backend's device tensors live and how bytes get in and out (device_memory.h).
  virtual DeviceMemory& memory() = 0;

  // y[M, N] = x[M, K] · w[N, K]ᵀ (+ bias[N]).
  void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y);
  // y[M, H] = (x - mean) / sqrt(var + eps) * gamma + beta, per row; y may alias x.
  void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y);
  // y[M, H] = x / sqrt(mean(x²) + eps) * gamma per row (RMSNorm, Zhang & Sennrich 2019;
  // transformers LlamaRMSNorm: fp32 statistics). x, y f32 [rows, cols]; gamma [cols] f32, f16 or
  // bf16 (empty: 1); y may alias x. Qwen3's per-head q/k norm is this op on a
  // [rows * heads, head_dim] view of [rows, heads * head_dim].
  void rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y);
  // Rotary position embedding in place, transformers' rotate_half layout: x f32
  // [rows, heads * head_dim]; in every head, for i < head_dim / 2, with
  // θ = float(positions[r]) * inv_freq[i] rounded to fp32 (as transformers' fp32 freqs),
  //   (x_i, x_{i+d/2}) -> (x_i cos θ - x_{i+d/2} sin θ, x_{i+d/2} cos θ + x_i sin θ).
  // positions: host array of `rows`; inv_freq: host array of head_dim / 2 inverse frequencies,
  // already scaled (rope_scaling applied by the caller). Both are free when the call returns.
  void rope(Tensor& x, int64_t head_dim, const int32_t* positions,
            std::span<const float> inv_freq);
  // out = silu(gate) * up elementwise (SwiGLU's gating, transformers act_fn(gate) * up), all f32
  // [M, N]; out may alias gate or up.
  void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out);
  // y += x, elementwise.
  void add(const Tensor& x, Tensor& y);
  void activation(Activation kind, Tensor& x);
  // y[i, :] (=|+=) table[ids[i], :], y: [M, D] f32, table: [V, D].
  void embedding(const Tensor& table, const int32_t* ids, Accumulate mode, Tensor& y);
  // Softmax(q·kᵀ·scale) · v per query head over its KV head's slots, masked causally, by
  // key_valid and by the window (AttentionArgs).
  void attention(const AttentionArgs& args);
  // out = x stored in out's format: x [rows, cols] f32; out [rows, cols] f32 (a copy), f16 or
  // bf16 (rounded to nearest even, bytewise engine/core/half.h's), or packed q4/q8 along cols,
  // quantized bytewise as quant's scalar reference does (appending KV rows:
  // [tokens * kv_heads, head_dim], engine/models/kv_format.h kv_rows_view).
  void store_rows(const Tensor& x, const Tensor& out);

 private:
  virtual void do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) = 0;
  virtual void do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                             Tensor& y) = 0;
  virtual void do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) = 0;
  virtual void do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
                       std::span<const float> inv_freq) = 0;
  virtual void do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) = 0;
  virtual void do_add(const Tensor& x, Tensor& y) = 0;
  virtual void do_activation(Activation kind, Tensor& x) = 0;
  virtual void do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                            Tensor& y) = 0;
  virtual void do_attention(const AttentionArgs& args) = 0;
  virtual void do_store_rows(const Tensor& x, const Tensor& out) = 0;
};

// The backend for a resolved choice. CUDA: a CudaBackend when built with CUDA (InputError when
// no GPU answers at run time); a build without CUDA throws. `warn` receives the backend's
// warnings (CUDA: host memory that could not be pinned). `cpu_threads` (>= 1; --threads): the
// threads the CPU backend computes with; 0: every core the process may use.
std::unique_ptr<Backend> make_backend(BackendKind kind,
                                      std::function<void(const std::string&)> warn = {},
                                      int cpu_threads = 0);

}  // namespace strata
