// Plain-text report of a plan for `strata plan` (and `strata run`'s summary): the policy, the
// predicted prefill / decode / total throughput (marked as predictions) and each tier's peak
// memory by what occupies it.
#pragma once

#include <string>

#include "planner/lp_planner.h"
#include "planner/plan_inputs.h"

namespace strata {

std::string format_policy(const Policy& policy);
std::string format_prediction(const Prediction& prediction);
std::string format_memory(const MemoryBreakdown& memory);
// All three, headed by the model, the workload and the profile's name.
std::string format_plan(const Plan& plan, const PlanInputs& inputs);

}  // namespace strata
