// OPT's tensor table: the names and shapes transformers' OPTForCausalLM checkpoints hold.
#include "engine/models/opt/opt_family.h"
#include "engine/models/opt/opt_roles.h"

namespace strata::opt {

TensorTable tensor_table(const ModelConfig& c) {
  const int64_t h = c.hidden_size, p = c.embed_dim, head = c.num_layers + 1;
  TensorTable t;
  t.num_layers = c.num_layers;
  const auto add = [&t](bool present, std::string name, std::vector<int64_t> shape,
                        int64_t stage, int role, bool quantizable = false) {
    if (present) t.tensors.push_back({std::move(name), std::move(shape), stage, role, quantizable});
  };
  const bool norm = c.final_norm && c.norm_affine, projected = p != h;
  add(true, "decoder.embed_tokens.weight", {c.vocab_size, p}, 0, embed_tokens);
  t.tensors.back().lookup = true;
  add(true, "decoder.embed_positions.weight", {c.max_positions + kPositionOffset, h}, 0,
      embed_positions);
  t.tensors.back().lookup = true;
  add(projected, "decoder.project_in.weight", {h, p}, 0, project_in);
  add(projected, "decoder.project_out.weight", {p, h}, head, project_out);
  add(norm, "decoder.final_layer_norm.weight", {h}, head, final_norm_w);
  add(norm, "decoder.final_layer_norm.bias", {h}, head, final_norm_b);
  add(!c.tied_head, "lm_head.weight", {c.vocab_size, p}, head, lm_head);
  if (c.tied_head) t.shared.push_back({0, head, lm_head});
  for (int64_t j = 0; j < c.num_layers; ++j) {
    const int64_t s = j + 1;
    const std::string pre = "decoder.layers." + std::to_string(j) + ".";
    const auto linear = [&](const char* name, int64_t out, int64_t in, int w, int b, bool bias) {
      add(true, pre + name + ".weight", {out, in}, s, w, /*quantizable=*/true);
      add(bias, pre + name + ".bias", {out}, s, b);
    };
    const auto layer_norm = [&](const char* name, int w, int b) {
      add(c.norm_affine, pre + name + ".weight", {h}, s, w);
      add(c.norm_affine, pre + name + ".bias", {h}, s, b);
    };
    linear("self_attn.q_proj", h, h, q_w, q_b, c.attention_bias);
    linear("self_attn.k_proj", h, h, k_w, k_b, c.attention_bias);
    linear("self_attn.v_proj", h, h, v_w, v_b, c.attention_bias);
    linear("self_attn.out_proj", h, h, out_w, out_b, c.out_proj_bias);
    layer_norm("self_attn_layer_norm", attn_norm_w, attn_norm_b);
    linear("fc1", c.ffn_dim, h, fc1_w, fc1_b, c.mlp_bias);
    linear("fc2", h, c.ffn_dim, fc2_w, fc2_b, c.mlp_bias);
    layer_norm("final_layer_norm", ffn_norm_w, ffn_norm_b);
  }
  return t;
}

}  // namespace strata::opt
