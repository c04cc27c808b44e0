// Peak bytes of each memory tier as linear forms in the placement fractions: the LP's capacity
// rows. Each tier peaks either during prefill (s-token activations and staging) or during the
// last decode steps (full KV cache, context-long buffers), so each phase gets its own row; the
// disk holds only homes, largest in prefill. policy_check.h recomputes the same bytes directly.
#pragma once

#include <vector>

#include "planner/cost_model.h"
#include "planner/linear_expr.h"
#include "planner/plan_inputs.h"

namespace strata {

struct PeakForm {
  Tier tier = Tier::kDevice;
  Phase phase = Phase::kPrefill;
  LinearExpr bytes;
};

// Device and host for prefill and decode, then disk: five forms.
std::vector<PeakForm> peak_memory_forms(const PlanInputs& inputs, const Policy& config);

double capacity(const HardwareProfile& hardware, Tier tier);

}  // namespace strata
