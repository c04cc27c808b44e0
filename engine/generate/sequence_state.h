// SequenceState: one sequence's decode-loop state (budget, sampling stream, stop strings,
// result), shared by the all-in-memory Generator and the offloading BlockGenerator so both
// sample, stop and pad exactly alike.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/generate/generator.h"
#include "engine/generate/stop_matcher.h"
#include "engine/models/model_config.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata {

struct SequenceState {
  const SequenceRequest* request;
  int64_t prompt_len = 0;    // real prompt tokens
  int64_t budget = 0;        // tokens it may generate (max_tokens and the position limit)
  bool done = false;
  bool cut_at_stop = false;  // result.text already holds the text up to a stop string
  SequenceRng rng;
  StopMatcher stops;
  SequenceResult result;
};

// Checks the prompt against max_position_embeddings and caps the budget so a sequence never
// outgrows it (prompt + generated).
SequenceState start_sequence(const SequenceRequest& r, const ModelConfig& cfg);

// Samples s's next token from its logits row and decides whether s is finished; records the
// token's logprobs (from the row as the model gave it) when s's request asks for them.
void take_token(SequenceState& s, std::span<const float> logits, const ModelConfig& cfg,
                const Tokenizer& tokenizer);

// The padded prompt of a batch, left padding to the longest (transformers' OPT): ids [B, T],
// positions [B, T] (cumsum(mask) * mask - 1: -1 on padding), and key_valid rows [B, slots]
// (padding slots 0, every other slot 1).
struct PaddedPrompts {
  std::vector<int32_t> ids, positions;
};
PaddedPrompts pad_prompts(std::span<const SequenceState* const> seqs, int64_t prompt_len,
                          int32_t pad_token, uint8_t* key_valid, int64_t slots);

// Final text of each sequence, in request order.
std::vector<SequenceResult> finish_results(std::vector<SequenceState>& seqs,
                                           const Tokenizer& tokenizer);

}  // namespace strata
