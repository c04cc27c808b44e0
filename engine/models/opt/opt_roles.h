// The roles of OPT's tensors within their stage (tensor_table.h), shared by its table and its
// forward pieces, and the widths of its workspace roles.
#pragma once

namespace strata::opt {

// transformers' OPTLearnedPositionalEmbedding: position p uses row p + 2.
inline constexpr int64_t kPositionOffset = 2;

enum Role : int {
  // embedding and head stages
  embed_tokens, embed_positions, project_in, project_out, final_norm_w, final_norm_b, lm_head,
  // a decoder layer
  q_w, q_b, k_w, k_b, v_w, v_b, out_w, out_b, attn_norm_w, attn_norm_b,
  fc1_w, fc1_b, fc2_w, fc2_b, ffn_norm_w, ffn_norm_b,
};

// Workspace roles: normed, q, k, v, attn [hidden], ffn [ffn], proj [word_embed_proj_dim].
enum WorkspaceRole : int { ws_normed, ws_q, ws_k, ws_v, ws_attn, ws_ffn, ws_proj, kWorkspaceRoles };

}  // namespace strata::opt
