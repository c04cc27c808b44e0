// Backend: the op set every compute backend implements (CPU now, CUDA next). Public methods check
// shapes and dtypes once, here, then call the backend's implementation (do_*), so each backend
// only computes. Activations are fp32; weights may be f32, f16 or bf16, and a linear's weight
// also q4/q8 (packed group-wise along each row, quant/format.h kCols; Tensor::packed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/backend/backend_kind.h"
#include "engine/backend/device_memory.h"
#include "engine/core/activation.h"
#include "engine/core/tensor.h"

namespace strata {

enum class Accumulate { overwrite, add };

// The KV cache is fp32 [B, S_max, hidden], or compressed: packed q4/q8 [B, S_max, heads,
// head_dim] with groups along head_dim (engine/models/kv_format.h), K and V in the same format;
// a backend dequantizes the packed rows it reads, never the whole cache.
struct AttentionArgs {
  Tensor q;                       // [B, T, hidden] f32: queries of T new positions per sequence
  Tensor k_cache;                 // keys of every slot (new ones written): see above
  Tensor v_cache;                 // values, same shape and format as k_cache
  const uint8_t* key_valid;       // [B, S_max]: 1 where slot s of sequence b holds a real token
  int64_t first_query_slot = 0;   // slot of q's first position; query t sees slots <= first + t
  int64_t num_heads = 1;
  float scale = 1.0f;             // applied to q·k (OPT: head_dim^-0.5)
  Tensor out;                     // [B, T, hidden] f32
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
  // y += x, elementwise.
  void add(const Tensor& x, Tensor& y);
  void activation(Activation kind, Tensor& x);
  // y[i, :] (=|+=) table[ids[i], :], y: [M, D] f32, table: [V, D].
  void embedding(const Tensor& table, const int32_t* ids, Accumulate mode, Tensor& y);
  // Softmax(q·kᵀ·scale) · v per head, masked causally and by key_valid.
  void attention(const AttentionArgs& args);
  // out = x stored in out's format: x [rows, cols] f32; out [rows, cols] f32 (a copy) or packed
  // q4/q8 along cols, quantized bytewise as quant's scalar reference does (appending KV rows).
  void store_rows(const Tensor& x, const Tensor& out);

 private:
  virtual void do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) = 0;
  virtual void do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                             Tensor& y) = 0;
  virtual void do_add(const Tensor& x, Tensor& y) = 0;
  virtual void do_activation(Activation kind, Tensor& x) = 0;
  virtual void do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                            Tensor& y) = 0;
  virtual void do_attention(const AttentionArgs& args) = 0;
  virtual void do_store_rows(const Tensor& x, const Tensor& out) = 0;
};

// The backend for a resolved choice. CUDA: a CudaBackend when built with CUDA (InputError when
// no GPU answers at run time); a build without CUDA throws. `warn` receives the backend's
// warnings (CUDA: host memory that could not be pinned).
std::unique_ptr<Backend> make_backend(BackendKind kind,
                                      std::function<void(const std::string&)> warn = {});

}  // namespace strata
