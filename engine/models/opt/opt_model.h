// OptModel: the OPT forward pass (transformers' modeling_opt), in pieces an executor can
// schedule: embed → layer j (for each j) → head. Activations are fp32 [batch * new, hidden].
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/models/kv_cache.h"
#include "engine/models/opt/opt_config.h"
#include "engine/models/opt/opt_weights.h"

namespace strata {

// One forward step of a micro-batch: T new tokens for each of B sequences.
struct StepInput {
  int64_t batch = 0;                   // B
  int64_t new_tokens = 0;              // T: the padded prompt length at prefill, 1 when decoding
  const int32_t* token_ids = nullptr;  // [B, T]
  const int32_t* positions = nullptr;  // [B, T] model positions (0-based, before OPT's offset 2)
  int64_t first_slot = 0;              // cache slot of the first new token
  const uint8_t* key_valid = nullptr;  // [B, cache slots]: 1 where a slot holds a real token
};

// Scratch activations of one step, reused across layers.
struct OptWorkspace {
  std::vector<float> normed, q, k, v, attn, ffn, proj;
};

class OptModel {
 public:
  OptModel(OptConfig config, OptWeights weights);
  // Reads config.json and the safetensors checkpoint of a Hugging Face model directory.
  static OptModel load(const std::filesystem::path& model_dir);

  const OptConfig& config() const { return config_; }

  // h[B*T, hidden] = embed_tokens(ids) (· project_inᵀ) + embed_positions(positions + 2).
  void embed(Backend& be, const StepInput& in, Tensor h, OptWorkspace& ws) const;
  // Decoder layer j in place on h; writes the step's keys and values into cache.
  void layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
             OptWorkspace& ws) const;
  // logits[B, vocab] from h_last[B, hidden], the last new position of each sequence.
  void head(Backend& be, Tensor h_last, Tensor logits, OptWorkspace& ws) const;

  // embed → every layer → head, logits for the last new position of each sequence.
  void forward(Backend& be, const StepInput& in, KvCache& cache, Tensor logits) const;

 private:
  void attention_block(Backend& be, const OptLayerWeights& w, const StepInput& in,
                       int64_t j, KvCache& cache, Tensor h, OptWorkspace& ws) const;
  void ffn_block(Backend& be, const OptLayerWeights& w, Tensor h, OptWorkspace& ws) const;

  OptConfig config_;
  OptWeights weights_;
};

}  // namespace strata
