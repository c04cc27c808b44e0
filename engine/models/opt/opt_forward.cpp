#include "engine/models/opt/opt_forward.h"

#include <cmath>

#include "engine/models/opt/opt_roles.h"

namespace strata::opt {
namespace {

// The position table's row of every new token: OPT offsets positions by 2 (left padding, at
// position -1, reads row 1).
std::vector<int32_t> position_rows(const StepInput& in) {
  std::vector<int32_t> rows(size_t(in.batch * in.new_tokens));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = in.positions[i] + int32_t(kPositionOffset);
  return rows;
}

}  // namespace

std::vector<int64_t> OptForward::workspace_cols() const {
  std::vector<int64_t> cols(kWorkspaceRoles, c_.hidden_size);
  cols[ws_ffn] = c_.ffn_dim;
  cols[ws_proj] = c_.embed_dim;
  return cols;
}

void OptForward::embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
                       Workspace& ws) const {
  const int64_t rows = in.batch * in.new_tokens;
  if (c_.embed_dim != c_.hidden_size) {
    Tensor words = ws.matrix(ws_proj, rows, c_.embed_dim);
    be.embedding(w.get(embed_tokens), in.token_ids, Accumulate::overwrite, words);
    be.linear(words, w.get(project_in), Tensor(), h);
  } else {
    be.embedding(w.get(embed_tokens), in.token_ids, Accumulate::overwrite, h);
  }
  const std::vector<int32_t> rows_in_table = position_rows(in);
  be.embedding(w.get(embed_positions), rows_in_table.data(), Accumulate::add, h);
}

std::vector<TableRows> OptForward::lookup_rows(const StepInput& in) const {
  const int32_t* ids = in.token_ids;
  const std::vector<int32_t> positions = position_rows(in);
  return {{embed_tokens, {ids, ids + in.batch * in.new_tokens}},
          {embed_positions, {positions.begin(), positions.end()}}};
}

void OptForward::attention_block(Backend& be, const StageWeights& w, const StepInput& in,
                                 int64_t j, KvAttention& attention, Tensor h,
                                 Workspace& ws) const {
  const int64_t rows = h.dim(0), e = c_.hidden_size;
  const bool pre = c_.norm_placement == NormPlacement::pre;
  Tensor x = h;
  if (pre) {
    x = ws.matrix(ws_normed, rows, e);
    be.layer_norm(h, w.get(attn_norm_w), w.get(attn_norm_b), c_.norm_eps, x);
  }
  Tensor q = ws.matrix(ws_q, rows, e);
  Tensor k = ws.matrix(ws_k, rows, e);
  Tensor v = ws.matrix(ws_v, rows, e);
  be.linear(x, w.get(q_w), w.get(q_b), q);
  be.linear(x, w.get(k_w), w.get(k_b), k);
  be.linear(x, w.get(v_w), w.get(v_b), v);
  Tensor attn = ws.matrix(ws_attn, rows, e);
  AttentionStep step;
  step.in = &in;
  step.layer = j;
  step.q = q;
  step.k = k;
  step.v = v;
  step.out = attn;
  step.num_heads = c_.num_heads;
  step.scale = 1.0f / std::sqrt(float(c_.head_dim));
  attention.attend(be, step);
  Tensor projected = ws.matrix(ws_q, rows, e);  // q is consumed; reuse its storage
  be.linear(attn, w.get(out_w), w.get(out_b), projected);
  be.add(projected, h);  // residual
  if (!pre) be.layer_norm(h, w.get(attn_norm_w), w.get(attn_norm_b), c_.norm_eps, h);
}

void OptForward::ffn_block(Backend& be, const StageWeights& w, Tensor h, Workspace& ws) const {
  const int64_t rows = h.dim(0), e = c_.hidden_size;
  const bool pre = c_.norm_placement == NormPlacement::pre;
  Tensor x = h;
  if (pre) {
    x = ws.matrix(ws_normed, rows, e);
    be.layer_norm(h, w.get(ffn_norm_w), w.get(ffn_norm_b), c_.norm_eps, x);
  }
  Tensor inner = ws.matrix(ws_ffn, rows, c_.ffn_dim);
  be.linear(x, w.get(fc1_w), w.get(fc1_b), inner);
  be.activation(c_.activation, inner);
  Tensor out = ws.matrix(ws_attn, rows, e);
  be.linear(inner, w.get(fc2_w), w.get(fc2_b), out);
  be.add(out, h);  // residual
  if (!pre) be.layer_norm(h, w.get(ffn_norm_w), w.get(ffn_norm_b), c_.norm_eps, h);
}

void OptForward::layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
                       KvAttention& attention, Tensor h, Workspace& ws) const {
  attention_block(be, w, in, j, attention, h, ws);
  ffn_block(be, w, h, ws);
}

void OptForward::head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
                      Workspace& ws) const {
  Tensor x = h_last;
  if (c_.final_norm) {
    x = ws.matrix(ws_normed, h_last.dim(0), c_.hidden_size);
    be.layer_norm(h_last, w.get(final_norm_w), w.get(final_norm_b), c_.norm_eps, x);
  }
  if (c_.embed_dim != c_.hidden_size) {
    Tensor projected = ws.matrix(ws_proj, h_last.dim(0), c_.embed_dim);
    be.linear(x, w.get(project_out), Tensor(), projected);
    x = projected;
  }
  be.linear(x, w.get(lm_head), Tensor(), logits);
}

}  // namespace strata::opt
