// Explains why no batch shape fits: called by plan_policy when every LP was infeasible. Looks
// at the smallest batch (1 x 1) and names the tier and the shortfall in bytes.
#pragma once

#include "planner/lp_planner.h"
#include "planner/plan_inputs.h"

namespace strata {

// Always throws InputError, e.g. "capacities too small for opt-175b: even the smallest batch
// (gpu_batch_size 1, num_gpu_batches 1) needs 327.8 GiB across device+host+disk (weights
// 325.2 GiB, ...), have 30.0 GiB (device 15.0 GiB, host 10.0 GiB, disk 5.0 GiB); short by
// 297.8 GiB".
[[noreturn]] void explain_infeasible(const PlanInputs& inputs, const PlannerOptions& options);

}  // namespace strata
