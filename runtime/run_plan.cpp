#include "runtime/run_plan.h"

#include <ostream>

#include "engine/generate/block_generator.h"

namespace strata {
namespace {

WarningSink warning_printer(std::ostream* log) {
  if (log == nullptr) return {};
  return once_per_text(
      [log](const std::string& line) { *log << "strata: warning: " << line << std::endl; });
}

}  // namespace

RunPlan plan_run(const ModelSource& source, const RunRequest& request) {
  RunRequest r = request;
  r.policy = with_auto_cache_dtype(r.policy, source.dense_weight_format());
  RunPlan out;
  EngineSettings& e = out.engine;
  e.backend = r.backend;
  e.cpu_threads = r.cpu_threads;
  e.options.cpu_threads = r.cpu_threads;
  e.store_cache = r.store_cache;
  e.log = r.log;
  e.prompt_len = r.workload.prompt_len;
  e.gen_len = r.workload.gen_len;
  e.options.capacities = r.capacities;
  e.options.offload_dir = r.offload_dir;
  e.options.warn = warning_printer(r.log);
  if (r.policy.planned()) {
    const std::filesystem::path scratch =
        r.offload_dir.empty() ? std::filesystem::temp_directory_path() : r.offload_dir;
    const MachineProfile machine = machine_profile(r.profile_cache, scratch, r.log, r.backend,
                                                     r.cpu_threads, !r.profile_chosen);
    out.plan = plan_auto(planned_model(source), r.policy, machine, r.capacities, r.workload);
    e.options.policy = out.plan->policy;
    e.options.capacities = out.plan->capacities;  // the executor is held to what was planned
  } else {
    e.options.policy = resolve_policy(r.policy);
  }
  check_capacity(source, e);
  return out;
}

}  // namespace strata
