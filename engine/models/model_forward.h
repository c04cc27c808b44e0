// ModelForward: a family's forward pass as stateless pieces over weights passed in by the
// caller — embed → layer j (for each j) → head — so the same code runs over all-in-memory
// weights (tests, perplexity) and over the offloading executor's stages, with the KV cache
// reached only through a KvAttention. Activations are fp32 [batch * new tokens, hidden].
#pragma once

#include <cstdint>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/models/kv_attention.h"
#include "engine/models/model_config.h"
#include "engine/models/stage_weights.h"
#include "engine/models/workspace.h"

namespace strata {

// One forward step of a micro-batch: T new tokens for each of B sequences.
struct StepInput {
  int64_t batch = 0;                   // B
  int64_t new_tokens = 0;              // T: the padded prompt length at prefill, 1 when decoding
  const int32_t* token_ids = nullptr;  // [B, T]
  const int32_t* positions = nullptr;  // [B, T] model positions, 0-based (-1 on left padding)
  int64_t first_slot = 0;              // cache slot of the first new token
  const uint8_t* key_valid = nullptr;  // [B, cache slots]: 1 where a slot holds a real token
};

// The rows of one lookup table (by its role in the embedding stage) that embed() reads for a
// step: the executor moves only these rows of a streamed table, not the whole table.
struct TableRows {
  int role = 0;
  std::vector<int64_t> rows;  // in the order embed() reads them; repeats allowed
};

class ModelForward {
 public:
  virtual ~ModelForward() = default;
  // h[B*T, hidden] from the step's tokens (and positions). Reads the embedding stage.
  virtual void embed(Backend& be, const StageWeights& w, const StepInput& in, Tensor h,
                     Workspace& ws) const = 0;
  // Every row embed() reads of each table the tensor table marks `lookup`, for the same step.
  virtual std::vector<TableRows> lookup_rows(const StepInput& in) const = 0;
  // Decoder layer j in place on h; the KV cache is reached only through `attention`.
  virtual void layer(Backend& be, const StageWeights& w, int64_t j, const StepInput& in,
                     KvAttention& attention, Tensor h, Workspace& ws) const = 0;
  // logits[B, vocab] from h_last[B, hidden]. Reads the head stage.
  virtual void head(Backend& be, const StageWeights& w, Tensor h_last, Tensor logits,
                    Workspace& ws) const = 0;
  // The widest row of each workspace role (Workspace's role_cols).
  virtual std::vector<int64_t> workspace_cols() const = 0;
};

}  // namespace strata
