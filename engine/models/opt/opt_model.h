// OptModel: an OPT model with every weight in memory, run step by step through OptForward's
// pieces (embed → layer j → head) over an all-in-memory KvCache. The offloading executor
// (engine/executor/) runs the same pieces over weights and cache spread across tiers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/models/kv_cache.h"
#include "engine/models/opt/opt_config.h"
#include "engine/models/opt/opt_forward.h"
#include "engine/models/opt/opt_weights.h"

namespace strata {

class OptModel {
 public:
  OptModel(OptConfig config, OptWeights weights);
  // Reads config.json and the safetensors checkpoint of a Hugging Face model directory.
  static OptModel load(const std::filesystem::path& model_dir);

  const OptConfig& config() const { return config_; }
  const OptWeights& weights() const { return weights_; }

  void embed(Backend& be, const StepInput& in, Tensor h, OptWorkspace& ws) const;
  // Decoder layer j in place on h; writes the step's keys and values into cache.
  void layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
             OptWorkspace& ws) const;
  void head(Backend& be, Tensor h_last, Tensor logits, OptWorkspace& ws) const;

  // embed → every layer → head, logits for the last new position of each sequence.
  void forward(Backend& be, const StepInput& in, KvCache& cache, Tensor logits) const;

 private:
  OptConfig config_;
  OptWeights weights_;
  OptForward forward_;
};

}  // namespace strata
