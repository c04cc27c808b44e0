// What the planner plans for: the model's geometry, the machine's profile and the workload
// (prompt and generation lengths, optionally the number of requests). Compression is a policy
// choice, passed in PlannerOptions / Policy, not an input here.
#pragma once

#include <cstdint>
#include <optional>

#include "planner/hardware_profile.h"
#include "planner/matrix_bytes.h"
#include "planner/model_geometry.h"

namespace strata {

struct Workload {
  int64_t prompt_len = 0;  // tokens per prompt (prompts are padded to this within a block)
  int64_t gen_len = 0;     // generated tokens per sequence, the first one produced by prefill
  std::optional<int64_t> num_requests;  // when known, a block never holds more sequences
};

struct PlanInputs {
  ModelGeometry model;
  HardwareProfile hardware;
  Workload workload;
  // Byte count of a stored matrix; swap in quant/'s own function when the planner is wired to it.
  MatrixBytesFn matrix_bytes = default_matrix_bytes;
};

// Validates model, hardware and workload; InputError names the field
// (e.g. "prompt_len + gen_len = 2100 exceeds opt-6.7b's max_positions 2048").
void validate(const PlanInputs& inputs);

}  // namespace strata
