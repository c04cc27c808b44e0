#include "engine/generate/generator.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "engine/generate/sequence_state.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<SequenceResult> Generator::generate(std::span<const SequenceRequest> batch,
                                                const std::atomic<bool>* cancel) {
  const ModelConfig& cfg = model_.config();
  std::vector<SequenceState> seqs;
  seqs.reserve(batch.size());
  int64_t prompt_len = 0, max_new = 0;
  for (const SequenceRequest& r : batch) {
    seqs.push_back(start_sequence(r, cfg));
    prompt_len = std::max(prompt_len, seqs.back().prompt_len);
    max_new = std::max(max_new, seqs.back().budget);
  }

  // Active sequences, in cache order; finished ones leave the batch and stop costing compute.
  std::vector<size_t> active;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (!seqs[i].done) active.push_back(i);
  }
  if (!active.empty()) {
    // Slots: the padded prompt plus every generated token but the last (never fed back).
    const int64_t slots = prompt_len + max_new - 1;
    const int64_t b0 = int64_t(active.size());
    KvCache cache(cfg.num_layers, b0, slots, kv_format_);
    std::vector<uint8_t> key_valid(size_t(b0 * slots), 1);
    std::vector<const SequenceState*> prompts;
    for (size_t i : active) {
      prompts.push_back(&seqs[i]);
      stats_.prompt_tokens += seqs[i].prompt_len;
    }
    const PaddedPrompts padded =
        pad_prompts(prompts, prompt_len, cfg.pad_token_id, key_valid.data(), slots);
    stats_.padded_tokens += b0 * prompt_len;

    std::vector<float> logits(size_t(b0 * cfg.vocab_size));
    StepInput step{b0, prompt_len, padded.ids.data(), padded.positions.data(), 0,
                   key_valid.data()};
    auto start = Clock::now();
    model_.forward(backend_, step, cache, Tensor(logits.data(), DType::f32, {b0, cfg.vocab_size}));
    stats_.prefill_seconds += seconds_since(start);
    start = Clock::now();

    std::vector<int32_t> next, next_pos;
    for (int64_t slot = prompt_len;; ++slot) {
      std::vector<int64_t> keep;
      for (size_t b = 0; b < active.size(); ++b) {
        SequenceState& s = seqs[active[b]];
        take_token(s, {logits.data() + b * size_t(cfg.vocab_size), size_t(cfg.vocab_size)}, cfg,
                   tokenizer_);
        ++stats_.generated_tokens;
        if (!s.done) keep.push_back(int64_t(b));
      }
      if (keep.empty()) break;
      if (cancel != nullptr && cancel->load()) throw Interrupted();
      if (keep.size() < active.size()) {  // compact the batch: finished sequences leave it
        cache.keep_sequences(keep);
        for (size_t i = 0; i < keep.size(); ++i) {
          active[i] = active[size_t(keep[i])];
          std::copy_n(key_valid.begin() + keep[i] * slots, slots, key_valid.begin() + int64_t(i) * slots);
        }
        active.resize(keep.size());
      }
      // Feed each active sequence's newest token at this slot.
      const int64_t b_count = int64_t(active.size());
      next.resize(size_t(b_count));
      next_pos.resize(size_t(b_count));
      for (int64_t b = 0; b < b_count; ++b) {
        const SequenceState& s = seqs[active[size_t(b)]];
        next[size_t(b)] = s.result.token_ids.back();
        next_pos[size_t(b)] = int32_t(slot - (prompt_len - s.prompt_len));
      }
      step = StepInput{b_count, 1, next.data(), next_pos.data(), slot, key_valid.data()};
      model_.forward(backend_, step, cache,
                     Tensor(logits.data(), DType::f32, {b_count, cfg.vocab_size}));
    }
    stats_.decode_seconds += seconds_since(start);
  }

  return finish_results(seqs, tokenizer_);
}

}  // namespace strata
