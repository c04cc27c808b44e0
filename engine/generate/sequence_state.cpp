#include "engine/generate/sequence_state.h"

#include <algorithm>
#include <vector>

#include "common/error.h"

namespace strata {

SequenceState start_sequence(const SequenceRequest& r, const ModelConfig& cfg) {
  const int64_t len = int64_t(r.prompt_ids.size());
  STRATA_CHECK(len > 0 && len <= cfg.max_positions, "prompt of ", len, " tokens for ",
               cfg.max_positions, " positions");
  const int64_t budget = std::min(r.max_new_tokens, cfg.max_positions - len);
  return {&r, len, budget, budget <= 0, false, SequenceRng(r.sampling.seed), StopMatcher(r.stop),
          {}};
}

void take_token(SequenceState& s, std::span<const float> logits, const ModelConfig& cfg,
                const Tokenizer& tokenizer) {
  const SamplingParams& params = s.request->sampling;
  const std::span<const float> raw = logits;  // what logprobs are reported from
  std::vector<float> penalized;  // a copy: the logits row belongs to the batch's buffer
  if (has_penalties(params)) {
    penalized.assign(logits.begin(), logits.end());
    apply_penalties(penalized, s.result.token_ids, params);
    logits = penalized;
  }
  const int32_t token = sample_token(logits, params, s.rng);
  s.result.token_ids.push_back(token);
  if (const auto k = s.request->logprobs) s.result.logprobs.push_back(step_logprobs(raw, token, *k));
  if (cfg.is_eos(token)) {
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

PaddedPrompts pad_prompts(std::span<const SequenceState* const> seqs, int64_t prompt_len,
                          int32_t pad_token, uint8_t* key_valid, int64_t slots) {
  PaddedPrompts p;
  const int64_t b0 = int64_t(seqs.size());
  p.ids.resize(size_t(b0 * prompt_len));
  p.positions.resize(p.ids.size());
  for (int64_t b = 0; b < b0; ++b) {
    const SequenceState& s = *seqs[size_t(b)];
    const int64_t pad = prompt_len - s.prompt_len;  // left padding
    for (int64_t t = 0; t < prompt_len; ++t) {
      const bool real = t >= pad;
      const size_t at = size_t(b * prompt_len + t);
      p.ids[at] = real ? s.request->prompt_ids[size_t(t - pad)] : pad_token;
      p.positions[at] = real ? int32_t(t - pad) : -1;  // transformers: cumsum(mask) * mask - 1
      key_valid[size_t(b * slots + t)] = real;
    }
  }
  return p;
}

std::vector<SequenceResult> finish_results(std::vector<SequenceState>& seqs,
                                           const Tokenizer& tokenizer) {
  std::vector<SequenceResult> out;
  out.reserve(seqs.size());
  for (SequenceState& s : seqs) {
    if (!s.cut_at_stop) s.result.text = tokenizer.decode(s.result.token_ids);
    out.push_back(std::move(s.result));
  }
  return out;
}

}  // namespace strata
