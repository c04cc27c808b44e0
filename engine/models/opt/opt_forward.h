// OptForward: the OPT forward pass (transformers' modeling_opt) as ModelForward's pieces.
#pragma once

#include "engine/models/model_forward.h"

namespace strata::opt {

class OptForward final : public ModelForward {
 public:
  explicit OptForward(const ModelConfig& config) : c_(config) {}

  // h = embed_tokens(ids) (· project_inᵀ) + embed_positions(positions + 2).
  void embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
             Workspace& ws) const override;
  std::vector<TableRows> lookup_rows(const StepInput& in) const override;
  void layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
             KvAttention& attention, Tensor h, Workspace& ws) const override;
  // logits = lm_head · (project_out ·) final_layer_norm(h_last).
  void head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
            Workspace& ws) const override;
  std::vector<int64_t> workspace_cols() const override;

 private:
  void attention_block(Backend& be, const StageWeights& w, const StepInput& in, int64_t j,
                       KvAttention& attention, Tensor h, Workspace& ws) const;
  void ffn_block(Backend& be, const StageWeights& w, Tensor h, Workspace& ws) const;

  ModelConfig c_;
};

}  // namespace strata::opt
