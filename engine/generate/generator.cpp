#include "engine/generate/generator.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "engine/generate/stop_matcher.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The per-sequence state of a decode loop.
struct Sequence {
  const SequenceRequest* request;
  int64_t prompt_len = 0;    // real prompt tokens
  int64_t budget = 0;        // tokens it may generate (max_tokens and the position limit)
  bool done = false;
  bool cut_at_stop = false;  // result.text already holds the text up to a stop string
  SequenceRng rng;
  StopMatcher stops;
  SequenceResult result;
};

// Samples s's next token from its logits row and decides whether s is finished.
void take_token(Sequence& s, std::span<const float> logits, const OptConfig& cfg,
                const BpeTokenizer& tokenizer) {
  const int32_t token = sample_token(logits, s.request->sampling, s.rng);
  s.result.token_ids.push_back(token);
  if (token == cfg.eos_token_id) {
    s.done = true;
    s.result.finish_reason = FinishReason::stop;
    return;
  }
  if (!s.stops.empty()) {
    const std::string text = tokenizer.decode(s.result.token_ids);
    if (const auto at = s.stops.find(text)) {
      s.done = s.cut_at_stop = true;
      s.result.finish_reason = FinishReason::stop;
      s.result.text = text.substr(0, *at);
      return;
    }
  }
  if (int64_t(s.result.token_ids.size()) >= s.budget) s.done = true;  // finish_reason length
}

}  // namespace

std::vector<SequenceResult> Generator::generate(std::span<const SequenceRequest> batch,
                                                const std::atomic<bool>* cancel) {
  const OptConfig& cfg = model_.config();
  std::vector<Sequence> seqs;
  seqs.reserve(batch.size());
  int64_t prompt_len = 0, max_new = 0;
  for (const SequenceRequest& r : batch) {
    const int64_t len = int64_t(r.prompt_ids.size());
    STRATA_CHECK(len > 0 && len <= cfg.max_positions, "prompt of ", len, " tokens for ",
                 cfg.max_positions, " positions");
    // A sequence never outgrows max_position_embeddings (prompt + generated).
    const int64_t budget = std::min(r.max_new_tokens, cfg.max_positions - len);
    seqs.push_back({&r, len, budget, budget <= 0, false, SequenceRng(r.sampling.seed),
                    StopMatcher(r.stop), {}});
    prompt_len = std::max(prompt_len, len);
    max_new = std::max(max_new, budget);
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
    KvCache cache(cfg.num_layers, b0, slots, cfg.hidden_size);
    std::vector<uint8_t> key_valid(size_t(b0 * slots), 1);
    std::vector<int32_t> ids(size_t(b0 * prompt_len)), positions(ids.size());
    for (int64_t b = 0; b < b0; ++b) {
      const Sequence& s = seqs[active[size_t(b)]];
      const int64_t pad = prompt_len - s.prompt_len;  // left padding
      for (int64_t t = 0; t < prompt_len; ++t) {
        const bool real = t >= pad;
        const size_t at = size_t(b * prompt_len + t);
        ids[at] = real ? s.request->prompt_ids[size_t(t - pad)] : cfg.pad_token_id;
        positions[at] = real ? int32_t(t - pad) : -1;  // transformers: cumsum(mask) * mask - 1
        key_valid[size_t(b * slots + t)] = real;
      }
      stats_.prompt_tokens += s.prompt_len;
    }
    stats_.padded_tokens += b0 * prompt_len;

    std::vector<float> logits(size_t(b0 * cfg.vocab_size));
    StepInput step{b0, prompt_len, ids.data(), positions.data(), 0, key_valid.data()};
    auto start = Clock::now();
    model_.forward(backend_, step, cache, Tensor(logits.data(), DType::f32, {b0, cfg.vocab_size}));
    stats_.prefill_seconds += seconds_since(start);
    start = Clock::now();

    std::vector<int32_t> next, next_pos;
    for (int64_t slot = prompt_len;; ++slot) {
      std::vector<int64_t> keep;
      for (size_t b = 0; b < active.size(); ++b) {
        Sequence& s = seqs[active[b]];
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
        const Sequence& s = seqs[active[size_t(b)]];
        next[size_t(b)] = s.result.token_ids.back();
        next_pos[size_t(b)] = int32_t(slot - (prompt_len - s.prompt_len));
      }
      step = StepInput{b_count, 1, next.data(), next_pos.data(), slot, key_valid.data()};
      model_.forward(backend_, step, cache,
                     Tensor(logits.data(), DType::f32, {b_count, cfg.vocab_size}));
    }
    stats_.decode_seconds += seconds_since(start);
  }

  std::vector<SequenceResult> out;
  out.reserve(seqs.size());
  for (Sequence& s : seqs) {
    if (!s.cut_at_stop) s.result.text = tokenizer_.decode(s.result.token_ids);
    out.push_back(std::move(s.result));
  }
  return out;
}

}  // namespace strata
