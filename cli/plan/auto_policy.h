// --policy auto (issue 5): the planner's policy for running one model on this machine with one
// workload, and the cost model's prediction for any policy the executor runs (strata bench).
//
// Inputs: the model's geometry (config.json) with the CPU executor's fp32 KV cache; this
// machine's hardware profile — the one `strata profile` caches, measured now with the same
// probe when none exists — with --device-mem / --host-mem / --disk-mem overriding its
// capacities; the workload (longest prompt, most generated tokens, request count). Policy flags
// given by hand (--percent, --gpu-batch-size, --num-gpu-batches, --cpu-attention,
// --no-cpu-attention, --no-overlap, --compress-weight, --compress-cache) are constraints of the
// search, so they win over the plan.
//
// The executor's own byte count (engine/executor/capacity_check.h) is passed in as a callback,
// so this planner-side file does not depend on the executor's internals.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "cli/execution_flags.h"
#include "engine/backend/backend_kind.h"
#include "engine/executor/executor_policy.h"
#include "planner/cost_model.h"
#include "planner/plan_inputs.h"
#include "planner/policy.h"

namespace strata::cli {

struct MachineProfile {
  HardwareProfile profile;
  std::filesystem::path path;  // the cache file it was read from or written to
  bool measured_now = false;
};

// This machine's cached profile for `backend` (cached_profile_path(backend)); when there is
// none, it is measured now with `strata profile`'s probe on that backend (test file in
// scratch_dir), written to the cache, and one line says so on `log`.
MachineProfile machine_profile(const std::filesystem::path& scratch_dir, std::ostream* log,
                               BackendKind backend = BackendKind::cpu);

// Planner inputs for the CPU executor running `model_dir` (an HF directory or a store).
PlanInputs executor_plan_inputs(const std::filesystem::path& model_dir,
                                const ExecutionFlags& flags, const HardwareProfile& profile,
                                const Workload& workload);

// The planner's Policy for what the executor runs (compression from `compress_weight`).
Policy planner_policy(const ExecutorPolicy& policy,
                      const std::optional<TensorFormat>& compress_weight);

struct AutoPlanRequest {
  std::filesystem::path model_dir;
  const ExecutionFlags* flags = nullptr;
  int64_t prompt_len = 1;
  int64_t gen_len = 1;
  std::optional<int64_t> num_requests;  // a block never holds more
  std::ostream* log = nullptr;          // the notice when the profile is measured now
  BackendKind backend = BackendKind::cpu;  // whose profile plans (cached per backend)
};

// Bytes by which each tier (device, host, disk) would exceed `capacities` under the executor's
// own accounting (engine/executor/capacity_check.h); all zero when the policy fits.
using ExecutorOvershoot =
    std::function<std::array<double, 3>(const ExecutorOptions&, const TierCapacities&)>;

struct AutoPlan {
  Policy policy;              // the plan, hand-given flags applied
  Prediction prediction;      // the cost model's, for that policy
  TierCapacities capacities;  // what it was planned for: the executor is held to them
  std::filesystem::path profile_path;
  std::string summary;        // one line: shape, placement, predicted throughput
};

// Plans; when the executor's exact bytes of the plan overshoot a tier (the planner's memory
// model is a close estimate, not the executor's allocator), that tier's capacity is lowered by
// the overshoot and the plan is made again (a few times at most). InputError when nothing fits.
AutoPlan plan_auto_policy(const AutoPlanRequest& request, const ExecutorOvershoot& overshoot);

// The cost model's prediction for `policy` on this machine (profile as machine_profile()).
struct PolicyPrediction {
  Prediction prediction;
  std::filesystem::path profile_path;
};
PolicyPrediction predict_executor_policy(const std::filesystem::path& model_dir,
                                         const ExecutionFlags& flags,
                                         const ExecutorOptions& options, const Workload& workload,
                                         std::ostream* log,
                                         BackendKind backend = BackendKind::cpu);

}  // namespace strata::cli
