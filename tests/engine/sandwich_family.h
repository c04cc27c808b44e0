// A second, minimal model family defined only in the test tree, to show that a family is a
// ModelSpec and nothing else: "sandwich" norms (every sublayer's input and output are layer-
// normed before the residual add, as in NormFormer/Gemma-2 style blocks), no biases, no learned
// positions (the causal mask alone orders tokens), GELU, an untied head. The executor, its
// layouts, tiers and capacity check run it through the same interface as OPT.
#pragma once

#include <cmath>
#include <memory>

#include "engine/models/model_family.h"

namespace strata::ut {

class SandwichForward final : public ModelForward {
 public:
  enum Role : int { tokens, head_norm_w, head_norm_b, lm_head,
                    in_w, in_b, q, k, v, o, out_w, out_b, mlp_in_w, mlp_in_b, up, down,
                    mlp_out_w, mlp_out_b };
  enum WsRole : int { ws_normed, ws_q, ws_k, ws_v, ws_attn, ws_ffn, kRoles };

  explicit SandwichForward(const ModelConfig& c) : c_(c) {}

  void embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
             Workspace&) const override {
    be.embedding(w.get(tokens), in.token_ids, Accumulate::overwrite, h);
  }

  std::vector<TableRows> lookup_rows(const StepInput& in) const override {
    return {{tokens, {in.token_ids, in.token_ids + in.batch * in.new_tokens}}};
  }

  void layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
             KvAttention& attention, Tensor h, Workspace& ws) const override {
    const int64_t rows = h.dim(0), e = c_.hidden_size;
    Tensor x = ws.matrix(ws_normed, rows, e);
    be.layer_norm(h, w.get(in_w), w.get(in_b), c_.norm_eps, x);
    Tensor qt = ws.matrix(ws_q, rows, e), kt = ws.matrix(ws_k, rows, e), vt = ws.matrix(ws_v, rows, e);
    be.linear(x, w.get(q), Tensor(), qt);
    be.linear(x, w.get(k), Tensor(), kt);
    be.linear(x, w.get(v), Tensor(), vt);
    Tensor attn = ws.matrix(ws_attn, rows, e);
    AttentionStep step;
    step.in = &in;
    step.layer = j;
    step.q = qt;
    step.k = kt;
    step.v = vt;
    step.out = attn;
    step.num_heads = c_.num_heads;
    step.scale = 1.0f / std::sqrt(float(c_.head_dim));
    attention.attend(be, step);
    Tensor projected = ws.matrix(ws_q, rows, e);
    be.linear(attn, w.get(o), Tensor(), projected);
    be.layer_norm(projected, w.get(out_w), w.get(out_b), c_.norm_eps, projected);
    be.add(projected, h);
    be.layer_norm(h, w.get(mlp_in_w), w.get(mlp_in_b), c_.norm_eps, x);
    Tensor inner = ws.matrix(ws_ffn, rows, c_.ffn_dim);
    be.linear(x, w.get(up), Tensor(), inner);
    be.activation(c_.activation, inner);
    Tensor down_out = ws.matrix(ws_attn, rows, e);
    be.linear(inner, w.get(down), Tensor(), down_out);
    be.layer_norm(down_out, w.get(mlp_out_w), w.get(mlp_out_b), c_.norm_eps, down_out);
    be.add(down_out, h);
  }

  void head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
            Workspace& ws) const override {
    Tensor x = ws.matrix(ws_normed, h_last.dim(0), c_.hidden_size);
    be.layer_norm(h_last, w.get(head_norm_w), w.get(head_norm_b), c_.norm_eps, x);
    be.linear(x, w.get(lm_head), Tensor(), logits);
  }

  std::vector<int64_t> workspace_cols() const override {
    std::vector<int64_t> cols(kRoles, c_.hidden_size);
    cols[ws_ffn] = c_.ffn_dim;
    return cols;
  }

 private:
  ModelConfig c_;
};

inline ModelSpec sandwich_spec(int64_t layers, int64_t hidden, int64_t heads, int64_t ffn) {
  using F = SandwichForward;
  ModelConfig c;
  c.family = "sandwich (test)";
  c.num_layers = layers;
  c.hidden_size = hidden;
  c.num_heads = c.num_kv_heads = heads;
  c.head_dim = hidden / heads;
  c.ffn_dim = ffn;
  c.vocab_size = 260;
  c.max_positions = 64;
  c.embed_dim = hidden;
  c.attention_bias = c.out_proj_bias = c.mlp_bias = false;
  c.tied_head = false;
  c.activation = Activation::gelu;
  c.bos_token_id = 2;
  c.eos_token_ids = {2};
  c.pad_token_id = 1;
  TensorTable t;
  t.num_layers = layers;
  const int64_t head = layers + 1;
  t.tensors.push_back({"embed.weight", {c.vocab_size, hidden}, 0, F::tokens, false, true});
  t.tensors.push_back({"head_norm.weight", {hidden}, head, F::head_norm_w});
  t.tensors.push_back({"head_norm.bias", {hidden}, head, F::head_norm_b});
  t.tensors.push_back({"lm_head.weight", {c.vocab_size, hidden}, head, F::lm_head});
  for (int64_t j = 0; j < layers; ++j) {
    const std::string p = "blocks." + std::to_string(j) + ".";
    const auto add = [&](const char* n, std::vector<int64_t> shape, int role, bool q = false) {
      t.tensors.push_back({p + n, std::move(shape), j + 1, role, q});
    };
    add("in_norm.weight", {hidden}, F::in_w);
    add("in_norm.bias", {hidden}, F::in_b);
    add("q.weight", {hidden, hidden}, F::q, true);
    add("k.weight", {hidden, hidden}, F::k, true);
    add("v.weight", {hidden, hidden}, F::v, true);
    add("o.weight", {hidden, hidden}, F::o, true);
    add("out_norm.weight", {hidden}, F::out_w);
    add("out_norm.bias", {hidden}, F::out_b);
    add("mlp_in_norm.weight", {hidden}, F::mlp_in_w);
    add("mlp_in_norm.bias", {hidden}, F::mlp_in_b);
    add("up.weight", {ffn, hidden}, F::up, true);
    add("down.weight", {hidden, ffn}, F::down, true);
    add("mlp_out_norm.weight", {hidden}, F::mlp_out_w);
    add("mlp_out_norm.bias", {hidden}, F::mlp_out_b);
  }
  return {c, t, std::make_shared<SandwichForward>(c)};
}

}  // namespace strata::ut
