// Generator: runs one micro-batch of requests through prefill and decode steps until each
// sequence finishes. Prompts are left-padded to the longest; each sequence's positions count
// only its own tokens (transformers' OPT: cumsum(mask) - 1), so its output never depends on the
// prompts it is batched with.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/generate/sampling.h"
#include "engine/generate/token_logprobs.h"
#include "engine/models/kv_format.h"
#include "engine/models/in_memory_model.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata {

struct SequenceRequest {
  std::vector<int32_t> prompt_ids;  // bos first
  int64_t max_new_tokens = 0;
  SamplingParams sampling;
  std::vector<std::string> stop;    // stop strings: generation ends before the first one
  // Token logprobs to report (token_logprobs.h): none when unset (nothing is computed), else
  // each generated token's and those of the `*logprobs` most likely tokens at its step.
  std::optional<int32_t> logprobs;
};

enum class FinishReason { stop, length };

struct SequenceResult {
  std::vector<int32_t> token_ids;  // generated tokens (eos included when it ended the sequence)
  std::string text;                // decoded, special tokens skipped, cut before a stop string
  FinishReason finish_reason = FinishReason::length;
  std::vector<StepLogprobs> logprobs;  // one per token_ids entry when the request asked; else empty
};

// Counts of the work done, for throughput reports.
struct GenerationStats {
  int64_t prompt_tokens = 0;     // real (unpadded) prompt tokens
  int64_t padded_tokens = 0;     // prompt slots including padding
  int64_t generated_tokens = 0;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
};

// What the batch job drives: the all-in-memory Generator or the offloading BlockGenerator.
class SequenceGenerator {
 public:
  virtual ~SequenceGenerator() = default;
  // Sequences that finish leave the batch, so they stop costing compute. When `cancel` is set
  // between two steps, throws Interrupted (nothing of this batch is returned).
  virtual std::vector<SequenceResult> generate(std::span<const SequenceRequest> batch,
                                               const std::atomic<bool>* cancel) = 0;
  virtual const GenerationStats& stats() const = 0;
};

class Generator final : public SequenceGenerator {
 public:
  // cache_dtype: the KV cache's elements — f16 (the default, as the executor's), bf16, f32, or
  // q4/q8 compressed along head_dim
  // (engine/models/kv_format.h), as the offloading executor stores it for the same setting.
  Generator(const InMemoryModel& model, const Tokenizer& tokenizer, Backend& backend,
            DType cache_dtype = DType::f16)
      : model_(model), tokenizer_(tokenizer), backend_(backend),
        kv_format_(kv_format(cache_dtype, model.config().num_kv_heads, model.config().head_dim)) {}

  // Sequences that finish leave the batch, so they stop costing compute. When `cancel` is set
  // between two steps, throws Interrupted (nothing of this micro-batch is returned).
  std::vector<SequenceResult> generate(std::span<const SequenceRequest> batch,
                                       const std::atomic<bool>* cancel = nullptr) override;
  const GenerationStats& stats() const override { return stats_; }

 private:
  const InMemoryModel& model_;
  const Tokenizer& tokenizer_;
  Backend& backend_;
  KvFormat kv_format_;
  GenerationStats stats_;
};

}  // namespace strata
