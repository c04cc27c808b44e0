// The check run before any work: the bytes the executor will place on each tier for the
// worst block of a workload (weights homes, KV cache, hidden states, every buffer), against the
// capacities given. A policy that does not fit is refused with the numbers that do not fit.
#pragma once

#include <cstdint>

#include "engine/executor/executor_options.h"
#include "engine/executor/tier_memory.h"
#include "engine/executor/weight_layout.h"
#include "engine/models/model_family.h"

namespace strata {

TierBytes planned_tier_bytes(const ModelSpec& model, const DTypeOf& dtype_of,
                             const Policy& policy, int64_t prompt_len, int64_t gen_len);

// Throws InputError: "policy does not fit: device needs ... but has ...; host ...".
void check_policy_fits(const ModelSpec& model, const DTypeOf& dtype_of,
                       const ExecutorOptions& options, int64_t prompt_len, int64_t gen_len);

}  // namespace strata
