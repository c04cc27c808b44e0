// OptConfig: the geometry and options of an OPT model, read from a Hugging Face config.json.
// Covers every released OPT shape: pre-LayerNorm models and opt-350m's post-LayerNorm shape with
// word_embed_proj_dim != hidden_size (project_in / project_out).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/core/activation.h"

namespace strata {


struct OptConfig {
  int64_t vocab_size = 0;           // logit rows (may exceed the tokenizer's vocabulary)
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t ffn_dim = 0;
  int64_t num_heads = 0;
  int64_t max_positions = 0;        // max_position_embeddings
  int64_t word_embed_proj_dim = 0;  // == hidden_size except for opt-350m
  bool layer_norm_before = true;    // do_layer_norm_before
  bool final_layer_norm = true;     // model-level final LN (pre-LN and not removed)
  bool layer_norm_affine = true;    // layer_norm_elementwise_affine
  bool bias = true;                 // enable_bias
  bool tied_head = true;            // tie_word_embeddings
  Activation activation = Activation::relu;
  int32_t bos_token_id = 2;
  int32_t eos_token_id = 2;
  int32_t pad_token_id = 1;

  // transformers' OPTLearnedPositionalEmbedding: position p uses row p + 2.
  static constexpr int64_t kPositionOffset = 2;

  int64_t head_dim() const { return hidden_size / num_heads; }
  bool has_projection() const { return word_embed_proj_dim != hidden_size; }

  // Reads <dir>/config.json. Throws InputError naming the file and field.
  static OptConfig load(const std::filesystem::path& model_dir);
};

}  // namespace strata
