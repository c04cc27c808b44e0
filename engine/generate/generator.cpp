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
  int64_t pad = 0;           // left padding slots
  int64_t budget = 0;        // tokens it may still generate (max_tokens and position limit)
  bool done = false;
  bool cut_at_stop = false;  // result.text already holds the text up to a stop string
  SequenceRng rng;
  StopMatcher stops;
  SequenceResult result;
};

}  // namespace

std::vector<SequenceResult> Generator::generate(std::span<const SequenceRequest> batch) {
  const OptConfig& cfg = model_.config();
  const int64_t b_count = int64_t(batch.size());
  if (b_count == 0) return {};
  int64_t prompt_len = 0, max_new = 0;
  for (const SequenceRequest& r : batch) {
    STRATA_CHECK(!r.prompt_ids.empty(), "a prompt needs at least its bos token");
    prompt_len = std::max(prompt_len, int64_t(r.prompt_ids.size()));
  }
  std::vector<Sequence> seqs;
  seqs.reserve(batch.size());
  for (const SequenceRequest& r : batch) {
    const int64_t len = int64_t(r.prompt_ids.size());
    STRATA_CHECK(len <= cfg.max_positions, "prompt of ", len, " tokens exceeds ",
                 cfg.max_positions, " positions");
    // A sequence never outgrows max_position_embeddings (prompt + generated).
    const int64_t budget = std::min(r.max_new_tokens, cfg.max_positions - len);
    seqs.push_back({&r, prompt_len - len, budget, budget <= 0, false, SequenceRng(r.sampling.seed),
                    StopMatcher(r.stop), {}});
    max_new = std::max(max_new, budget);
  }
  if (max_new == 0) {
    std::vector<SequenceResult> out(batch.size());
    return out;
  }

  // Slots: the padded prompt plus every generated token but the last (it is never fed back).
  const int64_t slots = prompt_len + max_new - 1;
  KvCache cache(cfg.num_layers, b_count, slots, cfg.hidden_size);
  std::vector<uint8_t> key_valid(size_t(b_count * slots), 1);
  std::vector<int32_t> ids(size_t(b_count * prompt_len)), positions(ids.size());
  for (int64_t b = 0; b < b_count; ++b) {
    const Sequence& s = seqs[size_t(b)];
    for (int64_t t = 0; t < prompt_len; ++t) {
      const bool real = t >= s.pad;
      const size_t at = size_t(b * prompt_len + t);
      ids[at] = real ? s.request->prompt_ids[size_t(t - s.pad)] : cfg.pad_token_id;
      positions[at] = real ? int32_t(t - s.pad) : -1;  // transformers: cumsum(mask) * mask - 1
      key_valid[size_t(b * slots + t)] = real;
    }
    stats_.prompt_tokens += prompt_len - s.pad;
  }
  stats_.padded_tokens += b_count * prompt_len;

  std::vector<float> logits(size_t(b_count * cfg.vocab_size));
  const Tensor logits_view(logits.data(), DType::f32, {b_count, cfg.vocab_size});
  StepInput step{b_count, prompt_len, ids.data(), positions.data(), 0, key_valid.data()};
  auto start = Clock::now();
  model_.forward(backend_, step, cache, logits_view);
  stats_.prefill_seconds += seconds_since(start);
  start = Clock::now();

  std::vector<int32_t> next(static_cast<size_t>(b_count)), next_pos(next.size());
  for (int64_t i = 0;; ++i) {
    bool all_done = true;
    for (int64_t b = 0; b < b_count; ++b) {
      Sequence& s = seqs[size_t(b)];
      if (s.done) continue;
      const std::span<const float> row(logits.data() + b * cfg.vocab_size, size_t(cfg.vocab_size));
      const int32_t token = sample_token(row, s.request->sampling, s.rng);
      s.result.token_ids.push_back(token);
      ++stats_.generated_tokens;
      if (token == cfg.eos_token_id) {
        s.done = true;
        s.result.finish_reason = FinishReason::stop;
      } else if (!s.stops.empty()) {
        const std::string text = tokenizer_.decode(s.result.token_ids);
        if (const auto at = s.stops.find(text)) {
          s.done = s.cut_at_stop = true;
          s.result.finish_reason = FinishReason::stop;
          s.result.text = text.substr(0, *at);
        }
      }
      if (!s.done && int64_t(s.result.token_ids.size()) >= s.budget) s.done = true;  // length
      all_done = all_done && s.done;
      next[size_t(b)] = token;
    }
    if (all_done) break;
    // Feed every sequence's newest token at slot prompt_len + i. Finished ones ride along (their
    // results are final); their positions are clamped so they stay inside the position table.
    for (int64_t b = 0; b < b_count; ++b) {
      const int64_t pos = prompt_len + i - seqs[size_t(b)].pad;
      next_pos[size_t(b)] = int32_t(std::min(pos, cfg.max_positions - 1));
    }
    step = StepInput{b_count, 1, next.data(), next_pos.data(), prompt_len + i, key_valid.data()};
    model_.forward(backend_, step, cache, logits_view);
  }
  stats_.decode_seconds += seconds_since(start);

  std::vector<SequenceResult> out;
  out.reserve(batch.size());
  for (Sequence& s : seqs) {
    if (!s.cut_at_stop) s.result.text = tokenizer_.decode(s.result.token_ids);
    out.push_back(std::move(s.result));
  }
  return out;
}

}  // namespace strata
