#include "cli/plan/auto_policy.h"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "cli/plan/plan_options.h"
#include "cli/profile/hardware_probe.h"
#include "common/error.h"
#include "engine/backend/backend.h"
#include "planner/byte_size.h"
#include "planner/hardware_profile_yaml.h"
#include "planner/lp_planner.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

// Re-plans after the executor's own count overshoots a tier; the planner's memory model is
// within a few MiB of the executor's, so one round normally settles it.
constexpr int kMaxReplans = 4;

void set_capacity(double& field, const std::string& text, const char* flag) {
  if (text.empty()) return;
  const std::optional<double> bytes = parse_byte_size(text);
  STRATA_CHECK_INPUT(bytes.has_value(), flag, ": '", text,
                     "' is not a size (examples: 16GiB, 1.5TB, 204GB, 123456)");
  field = *bytes;
}

Compression compression_of(const std::optional<TensorFormat>& f) {
  if (!f) return Compression::kNone;
  return f->dtype == DType::q4 ? Compression::kQ4 : Compression::kQ8;
}

Placement placement_of(const TierShares& s) { return {s.device, s.host, s.disk}; }

// The flags given by hand become constraints of the search.
PlannerOptions planner_options(const ExecutionFlags& f) {
  PlannerOptions o;
  if (!f.compress_weight.empty()) {
    o.compress_weight = parse_compression_flag(f.compress_weight, "--compress-weight");
  }
  if (!f.compress_cache.empty()) {
    o.compress_cache = parse_compression_flag(f.compress_cache, "--compress-cache");
  }
  o.overlap = f.no_overlap ? Overlap::kOff : Overlap::kOn;
  if (f.cpu_attention) o.attention = AttentionChoice::kHost;
  if (f.no_cpu_attention) o.attention = AttentionChoice::kDevice;
  if (f.gpu_batch_size > 0) o.gpu_batch_size = f.gpu_batch_size;
  if (f.num_gpu_batches > 0) o.num_gpu_batches = f.num_gpu_batches;
  if (!f.percent.empty()) {
    STRATA_CHECK_INPUT(f.percent.size() == 6, "--percent: expected 6 numbers, got ",
                       f.percent.size());
    Policy p;
    set_flexgen_percent(p, {f.percent[0], f.percent[1], f.percent[2], f.percent[3], f.percent[4],
                            f.percent[5]});
    o.placements = std::array<Placement, 3>{p.weights, p.cache, p.activations};
  }
  // The CPU executor homes no activations on disk, and a disk-resident KV cache needs a folder.
  o.limits.activations.disk = false;
  o.limits.cache.disk = !f.offload_dir.empty();
  return o;
}

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

MachineProfile machine_profile(const fs::path& scratch_dir, std::ostream* log,
                               BackendKind backend_kind) {
  MachineProfile m;
  m.path = cached_profile_path(backend_kind);
  if (fs::exists(m.path)) {
    m.profile = read_hardware_profile_yaml(m.path.string());
    return m;
  }
  STRATA_CHECK_INPUT(fs::is_directory(scratch_dir), scratch_dir.string(),
                     ": no such directory for the hardware probe's test file");
  if (log != nullptr) {
    *log << "strata: no hardware profile for this machine; measuring one as strata profile does "
            "(well under a minute) into "
         << m.path.string() << std::endl;
  }
  const std::unique_ptr<Backend> backend = make_backend(backend_kind);
  ProbeOptions probe;
  probe.offload_dir = scratch_dir;
  m.profile = probe_hardware(*backend, probe);
  fs::create_directories(m.path.parent_path());
  write_hardware_profile_yaml(m.profile, m.path.string());
  m.measured_now = true;
  return m;
}

PlanInputs executor_plan_inputs(const fs::path& model_dir, const ExecutionFlags& flags,
                                const HardwareProfile& profile, const Workload& workload) {
  PlanInputs in;
  in.model = model_geometry(model_dir);
  // The CPU executor keeps K and V in fp32, or packed as --compress-cache asks (the planner
  // counts the packed bytes from the policy's compress_cache).
  in.model.cache_format = StorageFormat::kF32;
  in.hardware = profile;
  set_capacity(in.hardware.device_capacity_bytes, flags.device_mem, "--device-mem");
  set_capacity(in.hardware.host_capacity_bytes, flags.host_mem, "--host-mem");
  set_capacity(in.hardware.disk_capacity_bytes, flags.disk_mem, "--disk-mem");
  in.workload = workload;
  validate(in);
  return in;
}

Policy planner_policy(const ExecutorPolicy& e, const std::optional<TensorFormat>& compress_weight) {
  Policy p;
  p.gpu_batch_size = e.gpu_batch_size;
  p.num_gpu_batches = e.num_gpu_batches;
  p.weights = placement_of(e.weights);
  p.cache = placement_of(e.cache);
  p.activations = placement_of(e.activations);
  p.attention = e.attention == AttentionAt::kv_home ? AttentionPlace::kHost : AttentionPlace::kDevice;
  p.overlap = e.overlap == TransferOverlap::on ? Overlap::kOn : Overlap::kOff;
  p.compress_weight = compression_of(compress_weight);
  p.compress_cache = e.cache_dtype == DType::q4   ? Compression::kQ4
                     : e.cache_dtype == DType::q8 ? Compression::kQ8
                                                  : Compression::kNone;
  return p;
}

AutoPlan plan_auto_policy(const AutoPlanRequest& r, const ExecutorOvershoot& overshoot) {
  STRATA_CHECK(r.flags != nullptr, "plan_auto_policy: no flags");
  const ExecutionFlags& flags = *r.flags;
  const fs::path scratch = flags.offload_dir.empty() ? fs::temp_directory_path() : flags.offload_dir;
  const MachineProfile machine = machine_profile(scratch, r.log, r.backend);
  PlanInputs in = executor_plan_inputs(r.model_dir, flags, machine.profile,
                                       Workload{r.prompt_len, r.gen_len, r.num_requests});
  const PlannerOptions options = planner_options(flags);
  AutoPlan out;
  out.capacities.device = uint64_t(in.hardware.device_capacity_bytes);
  out.capacities.host = uint64_t(in.hardware.host_capacity_bytes);
  out.capacities.disk = uint64_t(in.hardware.disk_capacity_bytes);
  out.profile_path = machine.path;
  for (int round = 0;; ++round) {
    const Plan plan = plan_policy(in, options);
    const ExecutorOptions resolved =
        resolve_executor_options(flags, plan.policy.gpu_batch_size, {}, &plan.policy);
    const std::array<double, 3> over = overshoot(resolved, out.capacities);
    const bool fits = std::all_of(over.begin(), over.end(), [](double b) { return b <= 0; });
    if (fits || round == kMaxReplans) {
      // Predicted for exactly what runs (hand flags applied; identical to the plan's own).
      out.policy = planner_policy(resolved.policy, resolved.compress_weight);
      out.prediction = CostModel(in, out.policy).predict(out.policy);
      Plan shown = plan;
      shown.policy = out.policy;
      shown.prediction = out.prediction;
      out.summary = summary_line(shown, machine.path);
      break;  // an overshoot left after the last round is reported by the capacity check
    }
    double* caps[3] = {&in.hardware.device_capacity_bytes, &in.hardware.host_capacity_bytes,
                       &in.hardware.disk_capacity_bytes};
    for (int t = 0; t < 3; ++t) {
      if (over[size_t(t)] > 0) *caps[t] -= over[size_t(t)] * 1.01 + double(1 << 20);
      STRATA_CHECK_INPUT(*caps[t] > 0, "--policy auto: no policy fits the ",
                         to_string(static_cast<Tier>(t)), " capacity of ",
                         format_gib(t == 0 ? double(*out.capacities.device)
                                           : t == 1 ? double(*out.capacities.host)
                                                    : double(*out.capacities.disk)));
    }
  }
  return out;
}

PolicyPrediction predict_executor_policy(const fs::path& model_dir, const ExecutionFlags& flags,
                                         const ExecutorOptions& options, const Workload& workload,
                                         std::ostream* log, BackendKind backend) {
  const fs::path scratch = flags.offload_dir.empty() ? fs::temp_directory_path() : flags.offload_dir;
  const MachineProfile machine = machine_profile(scratch, log, backend);
  const PlanInputs in = executor_plan_inputs(model_dir, flags, machine.profile, workload);
  const Policy policy = planner_policy(options.policy, options.compress_weight);
  return {predict(in, policy), machine.path};
}

}  // namespace strata::cli
