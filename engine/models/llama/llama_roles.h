// The roles of a Llama-style model's tensors within their stage (tensor_table.h), shared by its
// table and its forward pieces, and its workspace roles. Mistral, Qwen2 and Qwen3 are this
// architecture with other flags (model_config.h), so they share these roles.
#pragma once

namespace strata::llama {

enum Role : int {
  // embedding and head stages
  embed_tokens, final_norm_w, lm_head,
  // a decoder layer
  q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, q_norm_w, k_norm_w, attn_norm_w,
  gate_w, gate_b, up_w, up_b, down_w, down_b, ffn_norm_w,
};

// normed [hidden], q [heads*head_dim], k and v [kv_heads*head_dim], attn [heads*head_dim],
// gate and up [intermediate], out [hidden].
enum WorkspaceRole : int {
  ws_normed, ws_q, ws_k, ws_v, ws_attn, ws_gate, ws_up, ws_out, kWorkspaceRoles
};

}  // namespace strata::llama
