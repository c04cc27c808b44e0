// What the planner plans for: the model's geometry, the machine's profile and the workload
// (prompt and generation lengths, optionally the number of requests). Compression is a policy
// choice, passed in PlannerOptions / Policy, not an input here.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "planner/hardware_profile.h"
#include "planner/linear_expr.h"
#include "planner/matrix_bytes.h"
#include "planner/model_geometry.h"

namespace strata {

struct Workload {
  int64_t prompt_len = 0;  // tokens per prompt (prompts are padded to this within a block)
  int64_t gen_len = 0;     // generated tokens per sequence, the first one produced by prefill
  std::optional<int64_t> num_requests;  // when known, a block never holds more sequences
  // The lengths are maxima over a job's different requests (the longest prompt, the largest
  // generation), padded together in a block: their sum bounds the cache a block needs, not one
  // sequence's positions, so the model's context does not bound it. Each request's own
  // prompt + generation is checked against the context where the request is read.
  bool job_envelope = false;
};

// The byte counts of a model for one compression choice (and an uncompressed cache's element
// type), when the caller knows them exactly (the runtime: from the family's tensor table and the
// engine's formats).
using ModelBytesFn =
    std::function<ModelBytes(Compression weights, Compression cache, CacheDType cache_dtype)>;

// One tier's bytes exactly as an executor allocates them for a batch shape, as a linear form in
// the nine fractions (an upper bound where its rounding is not linear), plus for each data kind
// (weights, cache, activations) a reserve that exists whenever that kind is not wholly on the
// device (its staging and working buffers) and vanishes when it is.
struct ExecutorMemoryForm {
  Tier tier = Tier::kDevice;
  LinearExpr bytes;
  std::array<double, 3> off_device_reserve{};  // indexed by DataKind
  // Bytes at the fractions of `policy`.
  double at(const Policy& policy) const;
};
// The forms of a batch shape (the fractions of `shape` are ignored).
using ExecutorMemoryFn = std::function<std::vector<ExecutorMemoryForm>(const Policy& shape)>;

struct PlanInputs {
  ModelGeometry model;
  HardwareProfile hardware;
  Workload workload;
  // Byte count of a stored matrix; swap in quant/'s own function when the planner is wired to it.
  MatrixBytesFn matrix_bytes = default_matrix_bytes;
  // When set, the model's bytes (else model_bytes() from the geometry).
  ModelBytesFn model_bytes;
  // When set, the LP's memory rows are the executor's own accounting (else the planner's memory
  // model, memory_model.h), so a plan always fits the executor's capacity check.
  ExecutorMemoryFn executor_memory;
};

// The model's bytes for a policy's compression and cache dtype: inputs.model_bytes when set,
// else the geometry's (its cache_format replaced by the policy's cache_dtype).
ModelBytes input_model_bytes(const PlanInputs& inputs, const Policy& policy);

// Validates model, hardware and workload; InputError names the field
// (e.g. "prompt_len + gen_len = 2100 exceeds opt-6.7b's max_positions 2048").
void validate(const PlanInputs& inputs);

}  // namespace strata
