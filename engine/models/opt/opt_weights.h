// OptWeights: every tensor of an OPT model, kept in its stored dtype (f32, f16 or bf16).
// Each decoder layer's tensors live in one arena (one AlignedBuffer carved into views), so a
// layer is one allocation and, later, one transfer. Empty Tensors stand for absent parts
// (no bias, no affine layer norm, no projection).
#pragma once

#include <vector>

#include "engine/core/tensor.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/models/opt/opt_config.h"
#include "offload/aligned_buffer.h"

namespace strata {

struct LayerNormWeights {
  Tensor gamma;  // [hidden] or empty (no elementwise affine)
  Tensor beta;   // [hidden] or empty
};

struct LinearWeights {
  Tensor weight;  // [out, in], y = x · weightᵀ
  Tensor bias;    // [out] or empty
};

struct OptLayerWeights {
  LinearWeights q, k, v, out;  // attention projections, [hidden, hidden]
  LayerNormWeights attn_norm;  // self_attn_layer_norm
  LinearWeights fc1;           // [ffn, hidden]
  LinearWeights fc2;           // [hidden, ffn]
  LayerNormWeights ffn_norm;   // the layer's final_layer_norm
};

struct OptWeights {
  Tensor embed_tokens;       // [vocab, word_embed_proj_dim]
  Tensor embed_positions;    // [max_positions + 2, hidden]
  Tensor project_in;         // [hidden, word_embed_proj_dim] or empty
  Tensor project_out;        // [word_embed_proj_dim, hidden] or empty
  LayerNormWeights final_norm;
  Tensor lm_head;            // [vocab, word_embed_proj_dim]; a view of embed_tokens when tied
  std::vector<OptLayerWeights> layers;

  // Reads and shape-checks every tensor. Throws InputError naming the file and the tensor.
  static OptWeights load(const OptConfig& config, const HfCheckpoint& checkpoint);

  // Replaces each decoder layer's six linear weights (q, k, v, out, fc1, fc2) by their q4/q8
  // packed form, the bytes `strata convert --quant` stores (engine/core/quantize_matrix.h), in
  // one new arena per layer. For in-memory use of a quantization (strata perplexity); the dense
  // arenas stay allocated.
  void quantize_linear_weights(const TensorFormat& format);

  OptWeights() = default;
  OptWeights(OptWeights&&) = default;
  OptWeights& operator=(OptWeights&&) = default;

 private:
  std::vector<AlignedBuffer> arenas_;  // [0]: embeddings and head; [1 + j]: layer j
};

}  // namespace strata
