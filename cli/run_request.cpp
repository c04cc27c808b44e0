#include "cli/run_request.h"

#include <algorithm>
#include <cstdlib>

#include "cli/plan/plan_options.h"
#include "common/error.h"

namespace strata::cli {

namespace fs = std::filesystem;

fs::path store_cache_root(const fs::path& offload_dir) {
  if (!offload_dir.empty()) return offload_dir / "strata-stores";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "strata" / "stores";
  }
  const char* home = std::getenv("HOME");
  STRATA_CHECK_INPUT(home != nullptr && *home != '\0', "no cache folder for the converted model: "
                     "give --offload-dir (neither XDG_CACHE_HOME nor HOME is set)");
  return fs::path(home) / ".cache" / "strata" / "stores";
}

Workload workload_of(std::span<const SequenceRequest> requests, int64_t max_positions) {
  Workload w{1, 1, std::max<int64_t>(1, int64_t(requests.size())), /*job_envelope=*/true};
  for (const SequenceRequest& s : requests) {
    const int64_t len = int64_t(s.prompt_ids.size());
    w.prompt_len = std::max(w.prompt_len, len);
    w.gen_len = std::max(w.gen_len, std::min(s.max_new_tokens, max_positions - len));
  }
  return w;
}

std::string plan_line(const AutoPlan& plan) {
  return plan.summary + (all_on_device(plan.policy)
                             ? "; all on the device: generating in memory, a block at a time"
                             : "");
}

RunRequest make_run_request(const ExecutionFlags& flags, int64_t batch_size, BackendKind backend,
                            const Workload& workload, std::ostream* log) {
  RunRequest r;
  r.policy = policy_request(flags, batch_size);
  r.capacities = tier_capacities(flags);
  r.offload_dir = flags.offload_dir;
  r.backend = backend;
  r.cpu_threads = flags.threads;
  if (r.policy.planned()) {
    r.profile_cache = cached_profile_path(backend);
    r.profile_chosen = profile_path_chosen();
  }
  // Resolved now only when a store may be needed; HOME may be unset for in-memory runs.
  if (!flags.offload_dir.empty() || std::getenv("XDG_CACHE_HOME") || std::getenv("HOME")) {
    r.store_cache = store_cache_root(flags.offload_dir);
  }
  r.workload = workload;
  r.log = log;
  return r;
}

}  // namespace strata::cli
