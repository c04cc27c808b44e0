// OPT's config.json → ModelConfig (transformers' OPTConfig fields and defaults).
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/models/config_reader.h"
#include "engine/models/opt/opt_family.h"

namespace strata::opt {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path) {
  const ConfigReader r(j, path);
  ModelConfig c;
  c.family = "opt";
  c.vocab_size = r.positive("vocab_size");
  c.hidden_size = r.positive("hidden_size");
  c.num_layers = r.positive("num_hidden_layers");
  c.ffn_dim = r.positive("ffn_dim");
  c.num_heads = r.positive("num_attention_heads");
  c.num_kv_heads = c.num_heads;
  c.max_positions = r.positive("max_position_embeddings");
  c.embed_dim = r.positive_or("word_embed_proj_dim", c.hidden_size);
  const bool pre = r.flag_or("do_layer_norm_before", true);
  c.norm = NormKind::layer_norm;
  c.norm_placement = pre ? NormPlacement::pre : NormPlacement::post;
  c.norm_eps = 1e-5f;  // transformers' OPT uses nn.LayerNorm's default
  // transformers' OPTDecoder keeps a final LN only for pre-LN models not marked as removed.
  c.final_norm = pre && !r.flag_or("_remove_final_layer_norm", false);
  c.norm_affine = r.flag_or("layer_norm_elementwise_affine", true);
  c.attention_bias = c.out_proj_bias = c.mlp_bias = r.flag_or("enable_bias", true);
  c.tied_head = r.flag_or("tie_word_embeddings", true);
  c.bos_token_id = r.token_or("bos_token_id", 2);
  c.eos_token_ids = {r.token_or("eos_token_id", 2)};
  c.pad_token_id = r.token_or("pad_token_id", 1);
  const std::string act = r.string_or("activation_function", "relu");
  if (act == "relu") {
    c.activation = Activation::relu;
  } else if (act == "gelu") {
    c.activation = Activation::gelu;
  } else {
    fail_input(path, ": field 'activation_function': '", act, "' is not supported (relu or gelu)");
  }
  STRATA_CHECK_INPUT(c.hidden_size % c.num_heads == 0, path, ": hidden_size ", c.hidden_size,
                     " is not a multiple of num_attention_heads ", c.num_heads);
  c.head_dim = c.hidden_size / c.num_heads;
  return c;
}

}  // namespace strata::opt
