#include "engine/models/llama/llama_forward.h"

#include <algorithm>
#include <cmath>

#include "engine/models/llama/llama_roles.h"

namespace strata::llama {

std::vector<int64_t> LlamaForward::workspace_cols() const {
  std::vector<int64_t> cols(kWorkspaceRoles, c_.hidden_size);
  cols[ws_q] = cols[ws_attn] = c_.q_width();
  cols[ws_k] = cols[ws_v] = c_.kv_width();
  cols[ws_gate] = cols[ws_up] = c_.ffn_dim;
  return cols;
}

void LlamaForward::embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
                         Workspace&) const {
  be.embedding(w.get(embed_tokens), in.token_ids, Accumulate::overwrite, h);
}

std::vector<TableRows> LlamaForward::lookup_rows(const StepInput& in) const {
  return {{embed_tokens, {in.token_ids, in.token_ids + in.batch * in.new_tokens}}};
}

void LlamaForward::rotate(Backend& be, const StepInput& in, Tensor q, Tensor k) const {
  const int64_t rows = in.batch * in.new_tokens;
  // Left padding has position -1: any angle will do, its keys are never attended.
  std::vector<int32_t> positions(in.positions, in.positions + rows);
  int32_t last = 0;
  for (int32_t& p : positions) {
    p = std::max(p, 0);
    last = std::max(last, p);
  }
  const std::vector<float> inv_freq =
      rope_inv_freq(c_.rope, c_.head_dim, c_.max_positions, int64_t(last) + 1);
  be.rope(q, c_.head_dim, positions.data(), inv_freq);
  be.rope(k, c_.head_dim, positions.data(), inv_freq);
}

void LlamaForward::attention_block(Backend& be, const StageWeights& w, const StepInput& in,
                                   int64_t j, KvAttention& attention, Tensor h,
                                   Workspace& ws) const {
  const int64_t rows = h.dim(0), d = c_.head_dim;
  Tensor x = ws.matrix(ws_normed, rows, c_.hidden_size);
  be.rms_norm(h, w.get(attn_norm_w), c_.norm_eps, x);
  Tensor q = ws.matrix(ws_q, rows, c_.q_width());
  Tensor k = ws.matrix(ws_k, rows, c_.kv_width());
  Tensor v = ws.matrix(ws_v, rows, c_.kv_width());
  be.linear(x, w.get(q_w), w.get(q_b), q);
  be.linear(x, w.get(k_w), w.get(k_b), k);
  be.linear(x, w.get(v_w), w.get(v_b), v);
  if (c_.qk_norm) {  // Qwen3: each head's vector normalised on its own, before RoPE
    Tensor q_heads = q.reshaped({rows * c_.num_heads, d});
    Tensor k_heads = k.reshaped({rows * c_.num_kv_heads, d});
    be.rms_norm(q_heads, w.get(q_norm_w), c_.norm_eps, q_heads);
    be.rms_norm(k_heads, w.get(k_norm_w), c_.norm_eps, k_heads);
  }
  rotate(be, in, q, k);
  Tensor attn = ws.matrix(ws_attn, rows, c_.q_width());
  AttentionStep step;
  step.in = &in;
  step.layer = j;
  step.q = q;
  step.k = k;
  step.v = v;
  step.out = attn;
  step.num_heads = c_.num_heads;
  step.num_kv_heads = c_.num_kv_heads;
  step.window = c_.sliding_window;
  step.scale = 1.0f / std::sqrt(float(d));
  attention.attend(be, step);
  Tensor projected = ws.matrix(ws_out, rows, c_.hidden_size);
  be.linear(attn, w.get(o_w), w.get(o_b), projected);
  be.add(projected, h);  // residual
}

void LlamaForward::mlp_block(Backend& be, const StageWeights& w, Tensor h, Workspace& ws) const {
  const int64_t rows = h.dim(0);
  Tensor x = ws.matrix(ws_normed, rows, c_.hidden_size);
  be.rms_norm(h, w.get(ffn_norm_w), c_.norm_eps, x);
  Tensor gate = ws.matrix(ws_gate, rows, c_.ffn_dim);
  Tensor up = ws.matrix(ws_up, rows, c_.ffn_dim);
  be.linear(x, w.get(gate_w), w.get(gate_b), gate);
  be.linear(x, w.get(up_w), w.get(up_b), up);
  be.silu_mul(gate, up, gate);
  Tensor out = ws.matrix(ws_out, rows, c_.hidden_size);
  be.linear(gate, w.get(down_w), w.get(down_b), out);
  be.add(out, h);  // residual
}

void LlamaForward::layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
                         KvAttention& attention, Tensor h, Workspace& ws) const {
  attention_block(be, w, in, j, attention, h, ws);
  mlp_block(be, w, h, ws);
}

void LlamaForward::head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
                        Workspace& ws) const {
  Tensor x = ws.matrix(ws_normed, h_last.dim(0), c_.hidden_size);
  be.rms_norm(h_last, w.get(final_norm_w), c_.norm_eps, x);
  be.linear(x, w.get(lm_head), Tensor(), logits);
}

}  // namespace strata::llama
