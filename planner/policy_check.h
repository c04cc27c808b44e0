// Independent re-check of a Policy against the machine: every tier's peak bytes recomputed
// directly from the policy (not from the LP's rows), broken down by what occupies them. The
// planner's tests run check_policy() on every LP solution; the report prints the breakdown.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "planner/plan_inputs.h"
#include "common/policy.h"

namespace strata {

struct PlannedTierBytes {
  double weights = 0;      // homes of weights on this tier
  double cache = 0;        // homes of the KV cache (whole block, prompt_len + gen_len slots)
  double activations = 0;  // homes of the hidden states between layers
  double buffers = 0;      // double-buffered staging slots and compute temporaries
  double total() const { return weights + cache + activations + buffers; }
};

struct MemoryBreakdown {
  std::array<PlannedTierBytes, 3> prefill;   // indexed by Tier
  std::array<PlannedTierBytes, 3> decode;
  std::array<double, 3> capacity{};   // usable bytes per tier
  // The phase in which `tier` holds the most.
  const PlannedTierBytes& peak(Tier tier) const;
};

MemoryBreakdown memory_breakdown(const PlanInputs& inputs, const Policy& policy);

// Every violated constraint, one readable line each ("device: decode peak 15.2 GiB exceeds
// capacity 15.0 GiB by 0.2 GiB"); empty when the policy fits. Invalid policies are reported,
// not thrown.
std::vector<std::string> check_policy(const PlanInputs& inputs, const Policy& policy);

}  // namespace strata
