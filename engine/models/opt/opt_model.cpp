#include "engine/models/opt/opt_model.h"

#include <cstring>

#include "engine/io/hf_checkpoint.h"

namespace strata {

OptModel::OptModel(OptConfig config, OptWeights weights)
    : config_(config), weights_(std::move(weights)), forward_(config) {}

OptModel OptModel::load(const std::filesystem::path& model_dir) {
  OptConfig config = OptConfig::load(model_dir);
  const HfCheckpoint checkpoint = HfCheckpoint::open(model_dir);
  return OptModel(config, OptWeights::load(config, checkpoint));
}

void OptModel::embed(Backend& be, const StepInput& in, Tensor h, OptWorkspace& ws) const {
  forward_.embed(be, weights_, in, h, ws);
}

void OptModel::layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
                     OptWorkspace& ws) const {
  InMemoryKvAttention attention(cache);
  forward_.layer(be, weights_.layers[size_t(j)], j, in, attention, h, ws);
}

void OptModel::head(Backend& be, Tensor h_last, Tensor logits, OptWorkspace& ws) const {
  forward_.head(be, weights_, h_last, logits, ws);
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
