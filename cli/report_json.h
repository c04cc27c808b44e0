// The JSON forms of a policy and of the cost model's prediction, shared by `strata bench`'s
// output, a job's --metrics file and its OUTPUT.meta.json sidecar.
#pragma once

#include <nlohmann/json.hpp>

#include "common/policy.h"
#include "planner/cost_model.h"

namespace strata::cli {

nlohmann::ordered_json policy_json(const Policy& policy);
nlohmann::ordered_json prediction_json(const Prediction& prediction);

}  // namespace strata::cli
