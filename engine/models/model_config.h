// ModelConfig: what every consumer needs to know of a decoder-only model, whatever its family
// (DESIGN.md "Core types"). A family (engine/models/<family>/) parses its Hugging Face
// config.json into this once; the tensor table, the forward pieces, the KV cache geometry, the
// executor's layouts and the planner's byte counts all read it, never config.json again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/activation.h"
#include "engine/models/rope.h"

namespace strata {

enum class NormKind { layer_norm, rms_norm };
// pre: each sublayer normalises its input (x + f(norm(x))); post: the sum is normalised
// (norm(x + f(x)), opt-350m).
enum class NormPlacement { pre, post };

struct ModelConfig {
  std::string family;               // model_type: "opt", ...
  int64_t num_layers = 0;
  int64_t hidden_size = 0;          // the residual stream's width
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;         // == num_heads without grouped-query attention
  int64_t head_dim = 0;
  int64_t ffn_dim = 0;
  int64_t vocab_size = 0;           // logit rows (may exceed the tokenizer's vocabulary)
  int64_t max_positions = 0;        // max_position_embeddings
  int64_t embed_dim = 0;            // token embedding width (OPT's word_embed_proj_dim)
  NormKind norm = NormKind::layer_norm;
  NormPlacement norm_placement = NormPlacement::pre;
  float norm_eps = 1e-5f;
  bool final_norm = true;           // a model-level norm before the head
  bool norm_affine = true;          // norms carry weights (and a layer norm a bias)
  bool attention_bias = true;       // q, k, v projections have biases
  bool out_proj_bias = true;        // the attention output projection has one (Qwen2: no)
  bool mlp_bias = true;
  bool tied_head = true;            // lm_head is the token embedding
  Activation activation = Activation::relu;
  int32_t bos_token_id = 0;
  std::vector<int32_t> eos_token_ids;  // generation stops at any of them
  int32_t pad_token_id = 0;
  // Rotary families (llama, mistral, qwen2, qwen3); OPT learns its positions instead.
  bool rotary = false;
  RopeConfig rope;
  bool qk_norm = false;             // Qwen3: RMSNorm of each head's q and k before RoPE
  int64_t sliding_window = 0;       // Mistral: a query sees the last `sliding_window` slots; 0: all

  int64_t q_width() const { return num_heads * head_dim; }
  int64_t kv_width() const { return num_kv_heads * head_dim; }
  bool is_eos(int32_t token) const;
};

}  // namespace strata
