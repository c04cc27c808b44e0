// The tensor table of Llama-style checkpoints (transformers' LlamaForCausalLM and its
// Mistral/Qwen2/Qwen3 siblings): names after the loader drops the leading "model.".
#include "engine/models/llama/llama_family.h"
#include "engine/models/llama/llama_roles.h"

namespace strata::llama {

TensorTable tensor_table(const ModelConfig& c) {
  const int64_t h = c.hidden_size, head = c.num_layers + 1;
  TensorTable t;
  t.num_layers = c.num_layers;
  const auto add = [&t](bool present, std::string name, std::vector<int64_t> shape,
                        int64_t stage, int role, bool quantizable = false) {
    if (present) t.tensors.push_back({std::move(name), std::move(shape), stage, role, quantizable});
  };
  add(true, "embed_tokens.weight", {c.vocab_size, h}, 0, embed_tokens);
  t.tensors.back().lookup = true;
  add(true, "norm.weight", {h}, head, final_norm_w);
  add(!c.tied_head, "lm_head.weight", {c.vocab_size, h}, head, lm_head);
  if (c.tied_head) t.shared.push_back({0, head, lm_head});
  for (int64_t j = 0; j < c.num_layers; ++j) {
    const int64_t s = j + 1;
    const std::string pre = "layers." + std::to_string(j) + ".";
    const auto linear = [&](const char* name, int64_t out, int64_t in, int w, int b, bool bias) {
      add(true, pre + name + ".weight", {out, in}, s, w, /*quantizable=*/true);
      add(bias, pre + name + ".bias", {out}, s, b);
    };
    linear("self_attn.q_proj", c.q_width(), h, q_w, q_b, c.attention_bias);
    linear("self_attn.k_proj", c.kv_width(), h, k_w, k_b, c.attention_bias);
    linear("self_attn.v_proj", c.kv_width(), h, v_w, v_b, c.attention_bias);
    linear("self_attn.o_proj", h, c.q_width(), o_w, o_b, c.out_proj_bias);
    add(c.qk_norm, pre + "self_attn.q_norm.weight", {c.head_dim}, s, q_norm_w);
    add(c.qk_norm, pre + "self_attn.k_norm.weight", {c.head_dim}, s, k_norm_w);
    add(true, pre + "input_layernorm.weight", {h}, s, attn_norm_w);
    linear("mlp.gate_proj", c.ffn_dim, h, gate_w, gate_b, c.mlp_bias);
    linear("mlp.up_proj", c.ffn_dim, h, up_w, up_b, c.mlp_bias);
    linear("mlp.down_proj", h, c.ffn_dim, down_w, down_b, c.mlp_bias);
    add(true, pre + "post_attention_layernorm.weight", {h}, s, ffn_norm_w);
  }
  return t;
}

}  // namespace strata::llama
