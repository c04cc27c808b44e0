// Shared inputs for the planner tests.
#pragma once

#include <string>

#include "planner/lp_planner.h"
#include "planner/plan_inputs.h"

namespace strata::test {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// FlexGen's T4 box for an OPT preset at the given lengths.
inline PlanInputs t4_inputs(const std::string& model, int64_t prompt_len, int64_t gen_len) {
  PlanInputs in;
  in.model = opt_geometry(model);
  in.hardware = t4_flexgen_profile();
  in.workload.prompt_len = prompt_len;
  in.workload.gen_len = gen_len;
  return in;
}

// A machine with the T4's speeds and the given capacities in GiB.
inline PlanInputs sized_inputs(const std::string& model, double device_gib, double host_gib,
                               double disk_gib, int64_t prompt_len = 512, int64_t gen_len = 32) {
  PlanInputs in = t4_inputs(model, prompt_len, gen_len);
  in.hardware.device_capacity_bytes = device_gib * kGiB;
  in.hardware.host_capacity_bytes = host_gib * kGiB;
  in.hardware.disk_capacity_bytes = disk_gib * kGiB;
  return in;
}

}  // namespace strata::test
