// The Llama architecture (transformers' modeling_llama) and what its sibling families reuse:
// Mistral (sliding window), Qwen2 (q/k/v biases) and Qwen3 (q/k norm) parse their own
// config.json quirks in their folders and share this table and forward.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/models/config_reader.h"
#include "engine/models/model_family.h"

namespace strata {

const ModelFamily& llama_family();

namespace llama {

// The fields every Llama-style config.json shares (hidden_size, intermediate_size, layers,
// heads, num_key_value_heads, head_dim, rms_norm_eps, rope, max_position_embeddings,
// tie_word_embeddings, hidden_act silu, token ids), with `family` as model_type. Biases,
// sliding window and q/k norm are left to the caller.
ModelConfig parse_common(const ConfigReader& r, const nlohmann::json& j,
                         const std::string& family);
TensorTable tensor_table(const ModelConfig& c);
std::unique_ptr<ModelForward> make_forward(const ModelConfig& c);

// A preset's config.json from its geometry (shared by the families' preset lists).
struct Geometry {
  const char* name;
  const char* model_type;
  int64_t layers, hidden, heads, kv_heads, head_dim, ffn, vocab, max_positions;
  double rope_theta, rms_norm_eps;
  bool tied;
  int32_t bos, eos;
};
nlohmann::json geometry_config(const Geometry& g);
// The config.json of the preset called `name` among `presets`, or null; and their names.
nlohmann::json find_preset(std::span<const Geometry> presets, const std::string& name);
std::vector<std::string> preset_names_of(std::span<const Geometry> presets);

}  // namespace llama
}  // namespace strata
