// The planner's inputs as the command line gives them, shared by `strata plan` and (through
// --policy auto) the commands that run a model: the model (a directory or a --dummy preset), the
// hardware profile (a YAML file, a preset name, or the profile cached for this machine), tier
// capacities that override the profile's, and the workload.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "engine/backend/backend_kind.h"
#include "planner/lp_planner.h"
#include "planner/plan_inputs.h"
#include "runtime/model_source.h"
#include "runtime/planned_model.h"

namespace strata::cli {

struct PlanCliOptions {
  std::filesystem::path model_dir;  // or
  std::string dummy;                // a preset name (preset_names())
  std::string hardware;             // YAML file or preset ("t4-flexgen"); empty: cached profile
  std::string device_mem, host_mem, disk_mem;  // sizes like "16GiB"; empty: the profile's
  int64_t prompt_len = 512;
  int64_t gen_len = 32;
  std::optional<int64_t> num_requests;
  std::string compress_weight;      // "q4" | "q8" | "none"; empty: none (FlexGen's flags)
  std::string compress_cache;
  std::string cache_dtype = "auto";  // an uncompressed KV cache's elements (run's --cache-dtype)
  bool cpu_attention = false;
  bool no_overlap = false;
};

// Where `strata profile` caches this machine's profile for a backend: $STRATA_PROFILE when set
// (one profile shared by identical machines, or a fixed one for tests), else
// $XDG_CACHE_HOME/strata (or ~/.cache/strata)/hardware-HOSTNAME-BACKEND.yaml (cpu or cuda: the
// two measure different devices). A cached profile from an older probe (probe_version below
// kProbeVersion) is measured again by run and bench.
std::filesystem::path cached_profile_path(BackendKind backend = BackendKind::cpu);
// Whether $STRATA_PROFILE chose the profile: then it is used as it is, never measured again.
bool profile_path_chosen();

// The model, hardware and capacity options (not the workload ones, which `run` takes from its
// requests).
void add_model_and_hardware_options(CLI::App& app, PlanCliOptions& o);
void add_workload_options(CLI::App& app, PlanCliOptions& o);
void add_compression_options(CLI::App& app, PlanCliOptions& o);

// The model to plan for: --model's directory or store (opened into `source`, which must
// outlive the result), or the --dummy preset.
PlannedModel plan_model(const PlanCliOptions& o, std::optional<ModelSource>& source);

// Builds and validates the inputs through the runtime's one wiring (runtime/planned_model.h);
// InputError names the flag or file at fault. `notice` gets a line when no profile was given or
// cached and the FlexGen T4 preset stands in.
PlanInputs make_plan_inputs(const PlanCliOptions& o, const PlannedModel& model,
                            std::string* notice);
// The planner's options, as --policy auto makes them (runtime/policy_request.h); a disk-resident
// KV cache is allowed (the run that uses the policy gives --offload-dir).
PlannerOptions make_planner_options(const PlanCliOptions& o, StorageFormat dense);

}  // namespace strata::cli
