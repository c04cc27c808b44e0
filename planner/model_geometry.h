// ModelGeometry: the shape facts of a decoder-only model that the cost model needs, and the exact
// byte counts derived from them (ModelBytes). Presets are the real OPT configurations
// (HF facebook/opt-*/config.json). The engine's ModelConfig maps onto this; planner/ depends on
// nothing, so the integrator copies the fields.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "planner/matrix_bytes.h"
#include "common/policy.h"

namespace strata {

struct ModelGeometry {
  std::string name;
  int64_t num_layers = 0;
  int64_t hidden = 0;
  int64_t num_heads = 0;
  int64_t ffn = 0;
  int64_t vocab = 0;
  int64_t max_positions = 0;          // OPT's position table has max_positions + 2 rows
  int64_t word_embed_proj_dim = 0;    // 0 = hidden; OPT-350m embeds at 512 and projects
  bool final_layer_norm = true;       // OPT-350m (post-norm) has none
  StorageFormat weight_format = StorageFormat::kF16;  // stored weights before compression
  // KV cache before compression (input_model_bytes sets it from the policy's cache_dtype)
  StorageFormat cache_format = StorageFormat::kF16;

  int64_t head_dim() const { return hidden / num_heads; }
  int64_t embed_dim() const { return word_embed_proj_dim > 0 ? word_embed_proj_dim : hidden; }
};

// Throws InputError naming the first non-positive or inconsistent field.
void validate(const ModelGeometry& model);

// "opt-125m" ... "opt-175b" (also accepts the "facebook/" prefix); InputError lists known names.
ModelGeometry opt_geometry(const std::string& name);
std::vector<std::string> opt_preset_names();

// Total parameters (matches the HF checkpoint's parameter count).
uint64_t parameter_count(const ModelGeometry& model);

// Exact bytes and FLOPs the cost model works with, for one compression choice.
struct ModelBytes {
  uint64_t layer_weights = 0;     // one decoder layer: 6 matrices (maybe quantized) + dense
                                  // biases and the two layer norms
  uint64_t outside_weights = 0;   // everything not in a layer: embeddings, projections, final norm
  uint64_t head_weights = 0;      // read by the LM head every step: tied token embedding
                                  // (+ project_out when embed_dim != hidden)
  uint64_t embed_weights = 0;     // the embedding stage's tensors: the token table, OPT's
                                  // position table (+ project_in); its staging slot holds them
  uint64_t embed_lookup_weights = 0;   // the lookup tables among them: a step moves only the
                                       // rows its tokens read
  uint64_t embed_lookup_row_bytes = 0; // one row of each lookup table, together
  uint64_t kv_per_token = 0;      // K and V of one token in one layer, grouped along head_dim
  double layer_flops_per_token = 0;  // 2 * (4 h^2 + 2 h ffn): q, k, v, out, fc1, fc2 GEMMs
  double head_flops_per_token = 0;   // 2 * vocab * embed_dim (+ 2 h embed_dim projection)
};

ModelBytes model_bytes(const ModelGeometry& model, Compression weights, Compression cache,
                       const MatrixBytesFn& matrix_bytes = default_matrix_bytes);

}  // namespace strata
