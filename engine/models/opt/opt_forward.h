// OptForward: the OPT forward pass (transformers' modeling_opt) as stateless pieces over weights
// passed in by the caller: embed → layer j (for each j) → head. OptModel runs them over its own
// all-in-memory weights; the offloading executor runs them over weights it assembled in device
// working buffers, with the KV cache behind a KvAttention. Activations are fp32 [batch*new, hidden].
#pragma once

#include <cstdint>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/models/kv_attention.h"
#include "engine/models/opt/opt_config.h"
#include "engine/models/opt/opt_weights.h"

namespace strata {

// One forward step of a micro-batch: T new tokens for each of B sequences.
struct StepInput {
  int64_t batch = 0;                   // B
  int64_t new_tokens = 0;              // T: the padded prompt length at prefill, 1 when decoding
  const int32_t* token_ids = nullptr;  // [B, T]
  const int32_t* positions = nullptr;  // [B, T] model positions (0-based, before OPT's offset 2)
  int64_t first_slot = 0;              // cache slot of the first new token
  const uint8_t* key_valid = nullptr;  // [B, cache slots]: 1 where a slot holds a real token
};

// Scratch activations of one step, reused across layers, one matrix per role. Default: host
// vectors that grow to each request (the all-in-memory model). With a block: views carved from
// caller-owned device memory sized for steps of at most max_rows rows (the executor's, on any
// backend), never reallocated.
class OptWorkspace {
 public:
  enum Role { normed, q, k, v, attn, ffn, proj, kRoles };

  OptWorkspace() = default;
  OptWorkspace(void* block, size_t bytes, int64_t max_rows, const OptConfig& config);
  // Floats a block needs for steps of max_rows rows.
  static size_t block_floats(int64_t max_rows, const OptConfig& config);

  // A [rows, cols] f32 matrix of this role's storage (its previous contents are not kept).
  Tensor matrix(Role role, int64_t rows, int64_t cols);

 private:
  std::vector<float> host_[kRoles];
  float* fixed_[kRoles] = {};
  size_t fixed_floats_[kRoles] = {};
};

class OptForward {
 public:
  explicit OptForward(const OptConfig& config) : config_(config) {}
  const OptConfig& config() const { return config_; }

  // h[B*T, hidden] = embed_tokens(ids) (· project_inᵀ) + embed_positions(positions + 2).
  // Reads w.embed_tokens, w.embed_positions, w.project_in.
  void embed(Backend& be, const OptWeights& w, const StepInput& in, Tensor h,
             OptWorkspace& ws) const;
  // Decoder layer j in place on h; the KV cache is reached only through `attention`.
  void layer(Backend& be, const OptLayerWeights& w, int64_t j, const StepInput& in,
             KvAttention& attention, Tensor h, OptWorkspace& ws) const;
  // logits[B, vocab] from h_last[B, hidden]. Reads w.final_norm, w.project_out, w.lm_head.
  void head(Backend& be, const OptWeights& w, Tensor h_last, Tensor logits,
            OptWorkspace& ws) const;

 private:
  void attention_block(Backend& be, const OptLayerWeights& w, const StepInput& in, int64_t j,
                       KvAttention& attention, Tensor h, OptWorkspace& ws) const;
  void ffn_block(Backend& be, const OptLayerWeights& w, Tensor h, OptWorkspace& ws) const;

  OptConfig config_;
};

}  // namespace strata
