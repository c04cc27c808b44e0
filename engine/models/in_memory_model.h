// InMemoryModel: every tensor of a model's table read from its checkpoint into memory — one
// arena per stage (the embedding and head stages share the globals arena), each tensor in its
// stored dtype — and run step by step through the family's forward pieces over an all-in-memory
// KvCache. For whole-sequence scoring (strata perplexity) and as the tests' reference path; the
// engine that generates is the offloading executor (engine/executor/).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/models/kv_cache.h"
#include "engine/models/model_family.h"
#include "offload/aligned_buffer.h"

namespace strata {

class InMemoryModel {
 public:
  // Reads and shape-checks every tensor of spec's table. InputError naming file and tensor.
  InMemoryModel(ModelSpec spec, const HfCheckpoint& checkpoint);
  // Over tensors the caller owns (keeps alive), one per table entry, in table order.
  InMemoryModel(ModelSpec spec, std::vector<Tensor> tensors);

  const ModelSpec& spec() const { return spec_; }
  const ModelConfig& config() const { return spec_.config; }
  const StageWeights& stage(int64_t s) const { return stages_[size_t(s)]; }

  // Replaces every quantizable tensor (the decoder's linear weights) by its q4/q8 packed form,
  // the bytes `strata convert --quant` stores (engine/core/quantize_matrix.h).
  void quantize_linear_weights(const TensorFormat& format);

  void embed(Backend& be, const StepInput& in, Tensor h, Workspace& ws) const;
  // Decoder layer j in place on h; writes the step's keys and values into cache.
  void layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
             Workspace& ws) const;
  void head(Backend& be, Tensor h_last, Tensor logits, Workspace& ws) const;
  // embed → every layer → head, logits for the last new position of each sequence.
  void forward(Backend& be, const StepInput& in, KvCache& cache, Tensor logits) const;

 private:
  void rebuild_stages();

  ModelSpec spec_;
  std::vector<Tensor> tensors_;        // [i]: table tensor i
  std::vector<AlignedBuffer> arenas_;
  std::vector<StageWeights> stages_;   // views by role, per stage
};

}  // namespace strata
