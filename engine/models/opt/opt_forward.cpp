#include "engine/models/opt/opt_forward.h"

#include <cmath>

#include "common/error.h"

namespace strata {
namespace {

constexpr float kLayerNormEps = 1e-5f;  // transformers' OPT uses nn.LayerNorm's default

// Columns per row of each role: normed, q, k, v, attn [hidden], ffn [ffn], proj [proj].
int64_t role_cols(int role, const OptConfig& c) {
  if (role == OptWorkspace::ffn) return c.ffn_dim;
  if (role == OptWorkspace::proj) return c.word_embed_proj_dim;
  return c.hidden_size;
}

}  // namespace

OptWorkspace::OptWorkspace(void* block, size_t bytes, int64_t max_rows, const OptConfig& config) {
  STRATA_CHECK(bytes >= block_floats(max_rows, config) * sizeof(float), "workspace block of ",
               bytes, " bytes for ", max_rows, " rows");
  float* at = static_cast<float*>(block);
  for (int r = 0; r < kRoles; ++r) {
    fixed_[r] = at;
    fixed_floats_[r] = size_t(max_rows * role_cols(r, config));
    at += fixed_floats_[r];
  }
}

size_t OptWorkspace::block_floats(int64_t max_rows, const OptConfig& config) {
  size_t n = 0;
  for (int r = 0; r < kRoles; ++r) n += size_t(max_rows * role_cols(r, config));
  return n;
}

Tensor OptWorkspace::matrix(Role role, int64_t rows, int64_t cols) {
  const size_t n = size_t(rows * cols);
  if (fixed_[role] != nullptr) {
    STRATA_CHECK(n <= fixed_floats_[role], "workspace role ", int(role), ": ", rows, " x ", cols,
                 " passes its ", fixed_floats_[role], " floats");
    return Tensor(fixed_[role], DType::f32, {rows, cols}, Place::device);
  }
  host_[role].resize(n);
  return Tensor(host_[role].data(), DType::f32, {rows, cols});
}

void OptForward::embed(Backend& be, const OptWeights& w, const StepInput& in, Tensor h,
                       OptWorkspace& ws) const {
  const int64_t rows = in.batch * in.new_tokens;
  if (config_.has_projection()) {
    Tensor words = ws.matrix(OptWorkspace::proj, rows, config_.word_embed_proj_dim);
    be.embedding(w.embed_tokens, in.token_ids, Accumulate::overwrite, words);
    be.linear(words, w.project_in, Tensor(), h);
  } else {
    be.embedding(w.embed_tokens, in.token_ids, Accumulate::overwrite, h);
  }
  std::vector<int32_t> rows_in_table(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    rows_in_table[size_t(i)] = in.positions[i] + int32_t(OptConfig::kPositionOffset);
  }
  be.embedding(w.embed_positions, rows_in_table.data(), Accumulate::add, h);
}

void OptForward::attention_block(Backend& be, const OptLayerWeights& w, const StepInput& in,
                                 int64_t j, KvAttention& attention, Tensor h,
                                 OptWorkspace& ws) const {
  const int64_t rows = h.dim(0), e = config_.hidden_size;
  Tensor x = h;
  if (config_.layer_norm_before) {
    x = ws.matrix(OptWorkspace::normed, rows, e);
    be.layer_norm(h, w.attn_norm.gamma, w.attn_norm.beta, kLayerNormEps, x);
  }
  Tensor q = ws.matrix(OptWorkspace::q, rows, e);
  Tensor k = ws.matrix(OptWorkspace::k, rows, e);
  Tensor v = ws.matrix(OptWorkspace::v, rows, e);
  be.linear(x, w.q.weight, w.q.bias, q);
  be.linear(x, w.k.weight, w.k.bias, k);
  be.linear(x, w.v.weight, w.v.bias, v);
  Tensor attn = ws.matrix(OptWorkspace::attn, rows, e);
  AttentionStep step;
  step.in = &in;
  step.layer = j;
  step.q = q;
  step.k = k;
  step.v = v;
  step.out = attn;
  step.num_heads = config_.num_heads;
  step.scale = 1.0f / std::sqrt(float(config_.head_dim()));
  attention.attend(be, step);
  Tensor projected = ws.matrix(OptWorkspace::q, rows, e);  // q is consumed; reuse its storage
  be.linear(attn, w.out.weight, w.out.bias, projected);
  be.add(projected, h);  // residual
  if (!config_.layer_norm_before) {
    be.layer_norm(h, w.attn_norm.gamma, w.attn_norm.beta, kLayerNormEps, h);
  }
}

void OptForward::ffn_block(Backend& be, const OptLayerWeights& w, Tensor h,
                           OptWorkspace& ws) const {
  const int64_t rows = h.dim(0), e = config_.hidden_size;
  Tensor x = h;
  if (config_.layer_norm_before) {
    x = ws.matrix(OptWorkspace::normed, rows, e);
    be.layer_norm(h, w.ffn_norm.gamma, w.ffn_norm.beta, kLayerNormEps, x);
  }
  Tensor inner = ws.matrix(OptWorkspace::ffn, rows, config_.ffn_dim);
  be.linear(x, w.fc1.weight, w.fc1.bias, inner);
  be.activation(config_.activation, inner);
  Tensor out = ws.matrix(OptWorkspace::attn, rows, e);
  be.linear(inner, w.fc2.weight, w.fc2.bias, out);
  be.add(out, h);  // residual
  if (!config_.layer_norm_before) {
    be.layer_norm(h, w.ffn_norm.gamma, w.ffn_norm.beta, kLayerNormEps, h);
  }
}

void OptForward::layer(Backend& be, const OptLayerWeights& w, int64_t j, const StepInput& in,
                       KvAttention& attention, Tensor h, OptWorkspace& ws) const {
  attention_block(be, w, in, j, attention, h, ws);
  ffn_block(be, w, h, ws);
}

void OptForward::head(Backend& be, const OptWeights& w, Tensor h_last, Tensor logits,
                      OptWorkspace& ws) const {
  Tensor x = h_last;
  if (config_.final_layer_norm) {
    x = ws.matrix(OptWorkspace::normed, h_last.dim(0), config_.hidden_size);
    be.layer_norm(h_last, w.final_norm.gamma, w.final_norm.beta, kLayerNormEps, x);
  }
  if (config_.has_projection()) {
    Tensor projected =
        ws.matrix(OptWorkspace::proj, h_last.dim(0), config_.word_embed_proj_dim);
    be.linear(x, w.project_out, Tensor(), projected);
    x = projected;
  }
  be.linear(x, w.lm_head, Tensor(), logits);
}

}  // namespace strata
