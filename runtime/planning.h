// Planning, wired once for `strata plan`, --policy auto (run, generate, bench) and bench's
// prediction: a model (planned_model.h), this machine's hardware profile with the capacities
// given, the workload, and the policy request's hand-fixed parts as constraints.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "engine/backend/backend_kind.h"
#include "engine/executor/executor_options.h"
#include "planner/lp_planner.h"
#include "runtime/planned_model.h"
#include "runtime/policy_request.h"

namespace strata {

struct MachineProfile {
  HardwareProfile profile;
  std::filesystem::path path;  // the cache file it was read from or written to
  bool measured_now = false;
};

// The profile cached at `cache_path`; when there is none, or (with `remeasure_stale`) the cached
// one was written by an older probe (HardwareProfile::probe_version), measured now on `backend`
// with `strata profile`'s probe (test file in scratch_dir), written there, and one line says so.
// A profile the user chose ($STRATA_PROFILE) is used as it is: pass remeasure_stale = false.
MachineProfile machine_profile(const std::filesystem::path& cache_path,
                               const std::filesystem::path& scratch_dir, std::ostream* log,
                               BackendKind backend, int cpu_threads = 0,
                               bool remeasure_stale = true);

// The profile with the capacities given by hand in place of its own.
HardwareProfile with_capacities(HardwareProfile profile, const TierCapacities& given);

struct AutoPlan {
  Policy policy;              // the plan, hand-fixed parts applied
  Prediction prediction;      // the cost model's, for that policy
  TierCapacities capacities;  // what it was planned for: the executor is held to them
  std::filesystem::path profile_path;
  std::string summary;        // one line: shape, placement, predicted throughput
};

// Plans the request's policy. The LP's memory rows are the executor's own accounting, so the
// plan fits the capacity check as it is. InputError when nothing fits.
AutoPlan plan_auto(const PlannedModel& model, const PolicyRequest& request,
                   const MachineProfile& machine, const TierCapacities& given,
                   const Workload& workload);

// The cost model's prediction for a policy (planned or not) on this machine.
Prediction predict_policy(const PlannedModel& model, const HardwareProfile& hardware,
                          const Workload& workload, const Policy& policy);

// FlexGen's --percent of a policy, as "0 100 0 100 100 0".
std::string percent_text(const Policy& policy);

}  // namespace strata
