#include "engine/models/opt/opt_model.h"

#include <cmath>
#include <cstring>

#include "engine/io/hf_checkpoint.h"

namespace strata {
namespace {

constexpr float kLayerNormEps = 1e-5f;  // transformers' OPT uses nn.LayerNorm's default

Tensor matrix(std::vector<float>& storage, int64_t rows, int64_t cols) {
  storage.resize(size_t(rows * cols));
  return Tensor(storage.data(), DType::f32, {rows, cols});
}

}  // namespace

OptModel::OptModel(OptConfig config, OptWeights weights)
    : config_(config), weights_(std::move(weights)) {}

OptModel OptModel::load(const std::filesystem::path& model_dir) {
  OptConfig config = OptConfig::load(model_dir);
  const HfCheckpoint checkpoint = HfCheckpoint::open(model_dir);
  return OptModel(config, OptWeights::load(config, checkpoint));
}

void OptModel::embed(Backend& be, const StepInput& in, Tensor h, OptWorkspace& ws) const {
  const int64_t rows = in.batch * in.new_tokens;
  if (config_.has_projection()) {
    Tensor words = matrix(ws.proj, rows, config_.word_embed_proj_dim);
    be.embedding(weights_.embed_tokens, in.token_ids, Accumulate::overwrite, words);
    be.linear(words, weights_.project_in, Tensor(), h);
  } else {
    be.embedding(weights_.embed_tokens, in.token_ids, Accumulate::overwrite, h);
  }
  std::vector<int32_t> rows_in_table(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    rows_in_table[size_t(i)] = in.positions[i] + int32_t(OptConfig::kPositionOffset);
  }
  be.embedding(weights_.embed_positions, rows_in_table.data(), Accumulate::add, h);
}

void OptModel::attention_block(Backend& be, const OptLayerWeights& w, const StepInput& in,
                               int64_t j, KvCache& cache, Tensor h, OptWorkspace& ws) const {
  const int64_t rows = h.dim(0), e = config_.hidden_size, t = in.new_tokens;
  Tensor x = h;
  if (config_.layer_norm_before) {
    x = matrix(ws.normed, rows, e);
    be.layer_norm(h, w.attn_norm.gamma, w.attn_norm.beta, kLayerNormEps, x);
  }
  Tensor q = matrix(ws.q, rows, e), k = matrix(ws.k, rows, e), v = matrix(ws.v, rows, e);
  be.linear(x, w.q.weight, w.q.bias, q);
  be.linear(x, w.k.weight, w.k.bias, k);
  be.linear(x, w.v.weight, w.v.bias, v);
  // Append this step's keys and values: T contiguous rows per sequence.
  Tensor keys = cache.keys(j), values = cache.values(j);
  const size_t step_bytes = size_t(t * e) * sizeof(float);
  for (int64_t b = 0; b < in.batch; ++b) {
    const int64_t dst = (b * cache.slots() + in.first_slot) * e;
    std::memcpy(keys.data<float>() + dst, k.data<float>() + b * t * e, step_bytes);
    std::memcpy(values.data<float>() + dst, v.data<float>() + b * t * e, step_bytes);
  }
  Tensor attn = matrix(ws.attn, rows, e);
  AttentionArgs args;
  args.q = q.reshaped({in.batch, t, e});
  args.k_cache = keys;
  args.v_cache = values;
  args.key_valid = in.key_valid;
  args.first_query_slot = in.first_slot;
  args.num_heads = config_.num_heads;
  args.scale = 1.0f / std::sqrt(float(config_.head_dim()));
  args.out = attn.reshaped({in.batch, t, e});
  be.attention(args);
  Tensor projected = matrix(ws.q, rows, e);  // q is consumed; reuse its storage
  be.linear(attn, w.out.weight, w.out.bias, projected);
  be.add(projected, h);  // residual
  if (!config_.layer_norm_before) {
    be.layer_norm(h, w.attn_norm.gamma, w.attn_norm.beta, kLayerNormEps, h);
  }
}

void OptModel::ffn_block(Backend& be, const OptLayerWeights& w, Tensor h,
                         OptWorkspace& ws) const {
  const int64_t rows = h.dim(0), e = config_.hidden_size;
  Tensor x = h;
  if (config_.layer_norm_before) {
    x = matrix(ws.normed, rows, e);
    be.layer_norm(h, w.ffn_norm.gamma, w.ffn_norm.beta, kLayerNormEps, x);
  }
  Tensor inner = matrix(ws.ffn, rows, config_.ffn_dim);
  be.linear(x, w.fc1.weight, w.fc1.bias, inner);
  be.activation(config_.activation, inner);
  Tensor out = matrix(ws.attn, rows, e);
  be.linear(inner, w.fc2.weight, w.fc2.bias, out);
  be.add(out, h);  // residual
  if (!config_.layer_norm_before) {
    be.layer_norm(h, w.ffn_norm.gamma, w.ffn_norm.beta, kLayerNormEps, h);
  }
}

void OptModel::layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
                     OptWorkspace& ws) const {
  const OptLayerWeights& w = weights_.layers[size_t(j)];
  attention_block(be, w, in, j, cache, h, ws);
  ffn_block(be, w, h, ws);
}

void OptModel::head(Backend& be, Tensor h_last, Tensor logits, OptWorkspace& ws) const {
  Tensor x = h_last;
  if (config_.final_layer_norm) {
    x = matrix(ws.normed, h_last.dim(0), config_.hidden_size);
    be.layer_norm(h_last, weights_.final_norm.gamma, weights_.final_norm.beta, kLayerNormEps, x);
  }
  if (config_.has_projection()) {
    Tensor projected = matrix(ws.proj, h_last.dim(0), config_.word_embed_proj_dim);
    be.linear(x, weights_.project_out, Tensor(), projected);
    x = projected;
  }
  be.linear(x, weights_.lm_head, Tensor(), logits);
}

void OptModel::forward(Backend& be, const StepInput& in, KvCache& cache, Tensor logits) const {
  OptWorkspace ws;
  const int64_t rows = in.batch * in.new_tokens, e = config_.hidden_size;
  std::vector<float> hidden(size_t(rows * e));
  Tensor h(hidden.data(), DType::f32, {rows, e});
  embed(be, in, h, ws);
  for (int64_t j = 0; j < config_.num_layers; ++j) layer(be, j, in, cache, h, ws);
  // Only the last new position of each sequence needs logits (prefill included).
  std::vector<float> last(size_t(in.batch * e));
  for (int64_t b = 0; b < in.batch; ++b) {
    std::memcpy(last.data() + b * e, hidden.data() + ((b + 1) * in.new_tokens - 1) * e,
                size_t(e) * sizeof(float));
  }
  head(be, Tensor(last.data(), DType::f32, {in.batch, e}), logits, ws);
}

}  // namespace strata
