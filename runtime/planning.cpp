#include "runtime/planning.h"

#include <cstdio>
#include <ostream>
#include <sstream>

#include "common/error.h"
#include "engine/backend/backend.h"
#include "planner/hardware_profile_yaml.h"
#include "runtime/profile/hardware_probe.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

std::string summary_line(const Plan& plan, const fs::path& profile) {
  const Policy& p = plan.policy;
  const Prediction& r = plan.prediction;
  char rates[200];
  std::snprintf(rates, sizeof rates, "predicted prefill %.2f, decode %.2f, total %.2f token/s",
                r.prefill_tokens_per_s, r.decode_tokens_per_s, r.total_tokens_per_s);
  std::ostringstream out;
  out << "--policy auto (" << plan.lps_solved << " LPs, profile " << profile.string()
      << "): gpu_batch_size " << p.gpu_batch_size << " x num_gpu_batches " << p.num_gpu_batches
      << ", --percent " << percent_text(p) << ", cpu_attention "
      << (p.attention == AttentionPlace::kHost ? "on" : "off") << ", overlap "
      << (p.overlap == Overlap::kOn ? "on" : "off") << "; " << rates;
  return out.str();
}

}  // namespace

std::string percent_text(const Policy& p) {
  std::ostringstream out;
  const std::array<double, 6> v = flexgen_percent(p);
  for (size_t i = 0; i < v.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.4g", i ? " " : "", v[i]);
    out << buf;
  }
  return out.str();
}

MachineProfile machine_profile(const fs::path& cache_path, const fs::path& scratch_dir,
                               std::ostream* log, BackendKind backend_kind, int cpu_threads,
                               bool remeasure_stale) {
  MachineProfile m;
  m.path = cache_path;
  std::string why = "no hardware profile for this machine";
  if (fs::exists(m.path)) {
    m.profile = read_hardware_profile_yaml(m.path.string());
    if (!remeasure_stale || m.profile.probe_version >= kProbeVersion) return m;
    // Its figures mean what an older probe measured (hardware_profile.h, kProbeVersion).
    why = "the cached hardware profile was measured by an older strata";
  }
  STRATA_CHECK_INPUT(fs::is_directory(scratch_dir), scratch_dir.string(),
                     ": no such directory for the hardware probe's test file");
  if (log != nullptr) {
    *log << "strata: " << why << "; measuring one as strata profile does (well under a minute) into "
         << m.path.string() << std::endl;
  }
  const std::unique_ptr<Backend> backend = make_backend(backend_kind, {}, cpu_threads);
  ProbeOptions probe;
  probe.offload_dir = scratch_dir;
  m.profile = probe_hardware(*backend, probe);
  fs::create_directories(m.path.parent_path());
  write_hardware_profile_yaml(m.profile, m.path.string());
  m.measured_now = true;
  return m;
}

HardwareProfile with_capacities(HardwareProfile p, const TierCapacities& given) {
  if (given.device) p.device_capacity_bytes = double(*given.device);
  if (given.host) p.host_capacity_bytes = double(*given.host);
  if (given.disk) p.disk_capacity_bytes = double(*given.disk);
  return p;
}

AutoPlan plan_auto(const PlannedModel& model, const PolicyRequest& request,
                   const MachineProfile& machine, const TierCapacities& given,
                   const Workload& workload) {
  const PlanInputs in =
      planner_inputs(model, with_capacities(machine.profile, given), workload);
  const Plan plan = plan_policy(in, planner_options(request));
  AutoPlan out;
  out.capacities.device = uint64_t(in.hardware.device_capacity_bytes);
  out.capacities.host = uint64_t(in.hardware.host_capacity_bytes);
  out.capacities.disk = uint64_t(in.hardware.disk_capacity_bytes);
  out.profile_path = machine.path;
  // Predicted for exactly what runs (hand-fixed parts applied; identical to the plan's own).
  out.policy = resolve_policy(request, &plan.policy);
  out.prediction = CostModel(in, out.policy).predict(out.policy);
  Plan shown = plan;
  shown.policy = out.policy;
  shown.prediction = out.prediction;
  out.summary = summary_line(shown, machine.path);
  return out;
}

Prediction predict_policy(const PlannedModel& model, const HardwareProfile& hardware,
                          const Workload& workload, const Policy& policy) {
  return predict(planner_inputs(model, hardware, workload), policy);
}

}  // namespace strata
