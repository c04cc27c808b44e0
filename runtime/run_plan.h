// RunPlan: everything decided before a generating command does any work — the policy (planned,
// read from a file, or all on the device, with the hand-fixed parts applied), the executor's
// options and the one capacity check against the worst block of the workload.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>

#include "runtime/engine.h"
#include "runtime/planning.h"

namespace strata {

struct RunRequest {
  PolicyRequest policy;
  TierCapacities capacities;              // given by hand; the profile's otherwise (planning)
  std::filesystem::path offload_dir;      // disk-resident KV cache files; the probe's scratch
  BackendKind backend = BackendKind::cpu;
  int cpu_threads = 0;                    // --threads; 0: every core the process may use
  std::filesystem::path profile_cache;    // this machine's profile for the backend
  bool profile_chosen = false;            // profile_cache is the user's ($STRATA_PROFILE): as is
  std::filesystem::path store_cache;      // converted stores
  Workload workload;                      // longest prompt, most new tokens, request count
  std::ostream* log = nullptr;            // notices, warnings, conversion progress
};

struct RunPlan {
  EngineSettings engine;
  std::optional<AutoPlan> plan;  // --policy auto
};

// Plans or resolves the policy and checks it fits. InputError for anything wrong, before any
// weight is read.
RunPlan plan_run(const ModelSource& source, const RunRequest& request);

}  // namespace strata
