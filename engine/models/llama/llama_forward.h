// LlamaForward: the decoder of transformers' modeling_llama (and Mistral, Qwen2, Qwen3) as
// ModelForward's pieces: pre-RMSNorm layers, rotary positions, grouped-query attention,
// SwiGLU MLP; Qwen3's per-head q/k RMSNorm and Mistral's sliding window by config flags.
#pragma once

#include "engine/models/model_forward.h"

namespace strata::llama {

class LlamaForward final : public ModelForward {
 public:
  explicit LlamaForward(const ModelConfig& config) : c_(config) {}

  // h = embed_tokens(ids): positions enter through RoPE inside attention.
  void embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
             Workspace& ws) const override;
  std::vector<TableRows> lookup_rows(const StepInput& in) const override;
  void layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
             KvAttention& attention, Tensor h, Workspace& ws) const override;
  // logits = lm_head · rms_norm(h_last) (lm_head is embed_tokens when tied).
  void head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
            Workspace& ws) const override;
  std::vector<int64_t> workspace_cols() const override;

 private:
  void attention_block(Backend& be, const StageWeights& w, const StepInput& in, int64_t j,
                       KvAttention& attention, Tensor h, Workspace& ws) const;
  void mlp_block(Backend& be, const StageWeights& w, Tensor h, Workspace& ws) const;
  // Rotates q [rows, heads*head_dim] and k [rows, kv_heads*head_dim] by the step's positions.
  void rotate(Backend& be, const StepInput& in, Tensor q, Tensor k) const;

  ModelConfig c_;
};

}  // namespace strata::llama
