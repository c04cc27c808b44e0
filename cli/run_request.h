// The runtime's request for a generating command (run, generate, bench), from its flags and its
// workload: the policy request, capacities, the backend, and where this machine's profile and
// converted stores are cached (the CLI reads the environment for those; the runtime never does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <span>

#include "cli/execution_flags.h"
#include "engine/generate/generator.h"
#include "runtime/run_plan.h"

namespace strata::cli {

// Where converted models are cached: --offload-dir/strata-stores, else
// $XDG_CACHE_HOME/strata/stores, else ~/.cache/strata/stores.
std::filesystem::path store_cache_root(const std::filesystem::path& offload_dir);

// The workload of a set of requests: their longest prompt and the most tokens any of them may
// generate within max_positions.
Workload workload_of(std::span<const SequenceRequest> requests, int64_t max_positions);

// The plan's one line (--policy auto), saying when everything stays on the device.
std::string plan_line(const AutoPlan& plan);

RunRequest make_run_request(const ExecutionFlags& flags, int64_t batch_size, BackendKind backend,
                            const Workload& workload, std::ostream* log);

}  // namespace strata::cli
