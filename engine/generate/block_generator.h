// BlockGenerator: the generation loop over the offloading executor. A call takes up to one block
// (gpu_batch_size × num_gpu_batches sequences), cuts it into micro-batches of gpu_batch_size
// consecutive sequences, and runs prefill and decode steps of every micro-batch through the
// block schedule (engine/executor/block_executor.h). Padding, positions, sampling, stopping and
// the leaving of finished sequences are the Generator's (sequence_state.h), per micro-batch, so
// a micro-batch yields exactly what Generator::generate yields for the same sequences.
#pragma once

#include <functional>

#include <filesystem>
#include <memory>

#include "engine/executor/executor_options.h"
#include "engine/io/weight_source.h"
#include "engine/models/model_family.h"
#include "engine/executor/executor_report.h"
#include "engine/executor/weight_tiers.h"
#include "engine/generate/generator.h"

namespace strata {

class BlockGenerator final : public SequenceGenerator {
 public:
  // Reads the device and host rows of every weight of `model` from `source` into their homes.
  // Throws InputError for a bad policy or source.
  BlockGenerator(std::shared_ptr<const ModelSpec> model, std::unique_ptr<WeightSource> source,
                 const Tokenizer& tokenizer, Backend& backend, ExecutorOptions options);

  std::vector<SequenceResult> generate(std::span<const SequenceRequest> batch,
                                       const std::atomic<bool>* cancel = nullptr) override;
  // Called on this thread after the prefill and after each decode step of a block, with the
  // tokens generated so far (stats().generated_tokens): progress inside a block.
  void set_step_observer(std::function<void(int64_t generated_tokens)> observer) {
    observer_ = std::move(observer);
  }
  const GenerationStats& stats() const override { return stats_; }
  const ExecutorReport& report() const { return report_; }
  const ModelConfig& config() const { return model_->config; }
  int64_t block_size() const { return options_.policy.block_size(); }

 private:
  std::shared_ptr<const ModelSpec> model_;
  const Tokenizer& tokenizer_;
  Backend& backend_;
  ExecutorOptions options_;
  TierMemory memory_;  // the weights' bytes; each block adds its own to a copy
  std::unique_ptr<WeightTiers> weights_;
  GenerationStats stats_;
  std::function<void(int64_t)> observer_;
  ExecutorReport report_;
};

// A sink that passes each distinct warning text on once (the path before ": " aside): every
// block opens new KV cache files, and a fallback ("O_DIRECT refused") is said once, not once
// per file of every block.
WarningSink once_per_text(WarningSink sink);

}  // namespace strata
