// Llama-style config.json → ModelConfig, as transformers' LlamaConfig reads it (fields,
// defaults, rope_scaling / rope_parameters), with one-line errors naming the field.
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_guard.h"
#include "engine/models/llama/llama_family.h"
#include "engine/models/llama/llama_forward.h"

namespace strata::llama {
namespace {

// rope_scaling (transformers 4.x) or rope_parameters (5.x, which also holds rope_theta).
void parse_rope(const ConfigReader& r, const nlohmann::json& j, ModelConfig& c) {
  c.rope.theta = r.number_or("rope_theta", 10000.0);
  const char* field = r.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  if (!r.has(field)) return;
  const nlohmann::json& s = j[field];
  const std::string where = r.file() + ": field '" + field + "'";
  STRATA_CHECK_INPUT(s.is_object(), where, ": expected an object, got ", json_excerpt(s));
  const ConfigReader sub(s, where);
  c.rope.theta = sub.number_or("rope_theta", c.rope.theta);
  const std::string type = sub.string_or("rope_type", sub.string_or("type", "default"));
  if (type == "default") {
    c.rope.type = RopeType::none;
    return;
  }
  if (type == "linear") {
    c.rope.type = RopeType::linear;
  } else if (type == "dynamic") {
    c.rope.type = RopeType::dynamic;
  } else if (type == "llama3") {
    c.rope.type = RopeType::llama3;
    c.rope.low_freq_factor = sub.number_or("low_freq_factor", 1.0);
    c.rope.high_freq_factor = sub.number_or("high_freq_factor", 4.0);
    c.rope.original_max_positions = sub.positive("original_max_position_embeddings");
    STRATA_CHECK_INPUT(c.rope.high_freq_factor > c.rope.low_freq_factor, where,
                       ": high_freq_factor must exceed low_freq_factor");
  } else {
    fail_input(where, ": rope_type '", type,
               "' is not supported (supported: default, linear, dynamic, llama3)");
  }
  c.rope.factor = sub.number_or("factor", 0.0);
  STRATA_CHECK_INPUT(c.rope.factor >= 1.0, where, ": 'factor' must be a number >= 1, got ",
                     s.contains("factor") ? s["factor"].dump() : std::string("nothing"));
}

}  // namespace

ModelConfig parse_common(const ConfigReader& r, const nlohmann::json& j,
                         const std::string& family) {
  ModelConfig c;
  c.family = family;
  c.vocab_size = r.positive("vocab_size");
  c.hidden_size = r.positive("hidden_size");
  c.num_layers = r.positive("num_hidden_layers");
  c.ffn_dim = r.positive("intermediate_size");
  c.num_heads = r.positive("num_attention_heads");
  c.num_kv_heads = r.positive_or("num_key_value_heads", c.num_heads);
  STRATA_CHECK_INPUT(c.num_heads % c.num_kv_heads == 0, r.file(), ": num_attention_heads ",
                     c.num_heads, " is not a multiple of num_key_value_heads ", c.num_kv_heads);
  if (!r.has("head_dim")) {
    STRATA_CHECK_INPUT(c.hidden_size % c.num_heads == 0, r.file(), ": hidden_size ",
                       c.hidden_size, " is not a multiple of num_attention_heads ", c.num_heads,
                       " (and no head_dim is given)");
  }
  c.head_dim = r.positive_or("head_dim", c.hidden_size / c.num_heads);
  STRATA_CHECK_INPUT(c.head_dim % 2 == 0, r.file(), ": field 'head_dim': RoPE needs an even "
                     "head_dim, got ", c.head_dim);
  c.max_positions = r.positive_or("max_position_embeddings", 2048);
  c.embed_dim = c.hidden_size;
  c.norm = NormKind::rms_norm;
  c.norm_placement = NormPlacement::pre;
  c.norm_eps = float(r.number_or("rms_norm_eps", 1e-6));
  c.final_norm = true;
  c.norm_affine = true;
  c.attention_bias = c.out_proj_bias = r.flag_or("attention_bias", false);
  c.mlp_bias = r.flag_or("mlp_bias", false);
  c.tied_head = r.flag_or("tie_word_embeddings", false);
  const std::string act = r.string_or("hidden_act", "silu");
  STRATA_CHECK_INPUT(act == "silu", r.file(), ": field 'hidden_act': '", act,
                     "' is not supported (silu)");
  // The MLP is SwiGLU (the backend's silu_mul), so `activation` (OPT's fc1 activation) is unused.
  c.bos_token_id = r.token_or("bos_token_id", 1);
  c.eos_token_ids = r.tokens_or("eos_token_id", {2});
  c.pad_token_id = r.token_or("pad_token_id", c.eos_token_ids.front());
  c.rotary = true;
  parse_rope(r, j, c);
  return c;
}

std::unique_ptr<ModelForward> make_forward(const ModelConfig& c) {
  return std::make_unique<LlamaForward>(c);
}

nlohmann::json geometry_config(const Geometry& g) {
  return nlohmann::ordered_json{{"model_type", g.model_type},
                                {"vocab_size", g.vocab},
                                {"hidden_size", g.hidden},
                                {"intermediate_size", g.ffn},
                                {"num_hidden_layers", g.layers},
                                {"num_attention_heads", g.heads},
                                {"num_key_value_heads", g.kv_heads},
                                {"head_dim", g.head_dim},
                                {"max_position_embeddings", g.max_positions},
                                {"rope_theta", g.rope_theta},
                                {"rms_norm_eps", g.rms_norm_eps},
                                {"tie_word_embeddings", g.tied},
                                {"hidden_act", "silu"},
                                {"torch_dtype", "bfloat16"},
                                {"bos_token_id", g.bos},
                                {"eos_token_id", g.eos}};
}

nlohmann::json find_preset(std::span<const Geometry> presets, const std::string& name) {
  for (const Geometry& g : presets) {
    if (name == g.name) return geometry_config(g);
  }
  return nullptr;
}

std::vector<std::string> preset_names_of(std::span<const Geometry> presets) {
  std::vector<std::string> names;
  for (const Geometry& g : presets) names.emplace_back(g.name);
  return names;
}

}  // namespace strata::llama
