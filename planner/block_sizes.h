// BlockSizes: the counts and exact byte sizes of one block (one batch shape) that the time model
// (cost_model) and the LP's memory rows (memory_model) are written in. Doubles, because every
// term is multiplied by a fraction; byte counts below 2^53 are exact.
#pragma once

#include "planner/model_geometry.h"
#include "planner/plan_inputs.h"
#include "common/policy.h"

namespace strata {

struct BlockSizes {
  double layers = 0;      // l
  double batch = 0;       // b = gpu_batch_size
  double micro = 0;       // k = num_gpu_batches
  double block = 0;       // N = b * k
  double prompt = 0;      // s
  double gen = 0;         // n
  double kv_slots = 0;    // s + n: KV positions allocated per sequence
  double layer_weights = 0;    // W: one layer at the stored format
  double all_weights = 0;      // l * W + weights outside the layers
  double head_weights = 0;     // H: LM head bytes read per step
  double embed_weights = 0;    // E: embedding stage bytes read per step
  double weight_buffer = 0;    // one staging slot: max(W, H, E)
  double kv_token = 0;         // C: K+V bytes of one token in one layer
  double act_token = 0;        // A: hidden state of one token (hidden * activation bytes)
  // Compute temporaries of one micro-batch (independent of placement), [prefill, decode]:
  // on the device the larger of a layer's and the LM head's; on the host host attention's.
  double device_workspace[2] = {0, 0};
  double host_workspace[2] = {0, 0};
  ModelBytes bytes;
};

// Uses policy's batch shape and compression (not its fractions).
BlockSizes block_sizes(const PlanInputs& inputs, const Policy& config);

}  // namespace strata
