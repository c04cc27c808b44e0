#include "cli/plan/plan_options.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/execution_flags.h"
#include "cli/flag_checks.h"
#include "common/error.h"
#include "runtime/policy_request.h"
#include "planner/byte_size.h"
#include "planner/hardware_profile_yaml.h"

namespace strata::cli {
namespace {

HardwareProfile load_profile(const std::string& hardware, std::string* notice) {
  if (hardware == "t4-flexgen") return t4_flexgen_profile();
  if (!hardware.empty()) {
    STRATA_CHECK_INPUT(std::filesystem::exists(hardware), "--hardware ", hardware,
                       ": no such file (give a profile YAML from strata profile, or t4-flexgen)");
    return read_hardware_profile_yaml(hardware);
  }
  const std::filesystem::path cached = cached_profile_path();
  if (std::filesystem::exists(cached)) {
    HardwareProfile p = read_hardware_profile_yaml(cached.string());
    if (notice && !profile_path_chosen() && p.probe_version < kProbeVersion) {
      *notice = cached.string() + " was measured by an older strata (run strata profile to "
                "measure it again); planning with it as it is";
    }
    return p;
  }
  if (notice) {
    *notice = "no hardware profile for this machine (run strata profile); planning with "
              "FlexGen's T4 figures (--hardware t4-flexgen)";
  }
  return t4_flexgen_profile();
}

void set_capacity(double& field, const std::string& text, const char* flag) {
  if (text.empty()) return;
  field = double(parse_size_flag(text, flag));
}

}  // namespace

bool profile_path_chosen() {
  const char* chosen = std::getenv("STRATA_PROFILE");
  return chosen != nullptr && *chosen != '\0';
}

std::filesystem::path cached_profile_path(BackendKind backend) {
  if (const char* chosen = std::getenv("STRATA_PROFILE"); chosen && *chosen) return chosen;
  std::filesystem::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::filesystem::path(home) / ".cache";
  } else {
    base = std::filesystem::temp_directory_path();
  }
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const char* suffix = backend == BackendKind::cuda ? "-cuda.yaml" : "-cpu.yaml";
  return base / "strata" / (std::string("hardware-") + host + suffix);
}

void add_model_and_hardware_options(CLI::App& app, PlanCliOptions& o) {
  auto* model = app.add_option("--model", o.model_dir,
                               "Hugging Face model directory, or a store made by strata convert");
  std::string presets;
  for (const std::string& n : preset_names()) presets += (presets.empty() ? "" : ", ") + n;
  auto* dummy = app.add_option("--dummy", o.dummy, "Plan for a model's geometry without its "
                               "files: " + presets);
  model->excludes(dummy);
  app.add_option("--hardware", o.hardware,
                 "Hardware profile: a YAML file written by strata profile, or t4-flexgen "
                 "(FlexGen's T4 box); default: this machine's cached profile");
  app.add_option("--device-mem", o.device_mem, "Device memory Strata may use (e.g. 16GiB); "
                 "default: the profile's");
  app.add_option("--host-mem", o.host_mem, "Host (CPU DRAM) memory Strata may use (e.g. 200GiB)");
  app.add_option("--disk-mem", o.disk_mem, "Disk space Strata may use for offloading (e.g. 1.5TB)");
  app.add_flag("--cpu-attention", o.cpu_attention,
               "Run decode attention on the host, where the KV cache lives (no KV on the device)");
  app.add_flag("--no-overlap", o.no_overlap, "Plan for transfers that do not overlap compute");
}

void add_workload_options(CLI::App& app, PlanCliOptions& o) {
  app.add_option("--prompt-len", o.prompt_len, "Prompt tokens per sequence")
      ->check(integer_in(1, kMaxTokens))
      ->capture_default_str();
  app.add_option("--gen-len", o.gen_len, "Generated tokens per sequence")
      ->check(integer_in(1, kMaxTokens))
      ->capture_default_str();
  app.add_option("--num-requests", o.num_requests,
                 "Requests in the job; a block never holds more (default: unbounded)")
      ->check(integer_in(1, kMaxSequences));
}

void add_compression_options(CLI::App& app, PlanCliOptions& o) {
  add_compression_option(app, "--compress-weight", o.compress_weight,
                         "Weights stored group-wise (group 64), as FlexGen's flag");
  add_compression_option(app, "--compress-cache", o.compress_cache,
                         "KV cache stored group-wise (groups of at most 64 along head_dim)");
  app.add_option("--cache-dtype", o.cache_dtype,
                 "Elements of an uncompressed KV cache: auto (bf16 for a bf16 model, else f16), "
                 "f16, bf16 or f32")
      ->check(CLI::IsMember({"auto", "f16", "bf16", "f32"}))
      ->capture_default_str();
}

PlannedModel plan_model(const PlanCliOptions& o, std::optional<ModelSource>& source) {
  STRATA_CHECK_INPUT(!o.model_dir.empty() || !o.dummy.empty(),
                     "give the model: --model DIR or --dummy NAME (e.g. --dummy opt-6.7b)");
  if (!o.dummy.empty()) return planned_preset(o.dummy);
  source.emplace(ModelSource::open(o.model_dir));
  return planned_model(*source);
}

PlanInputs make_plan_inputs(const PlanCliOptions& o, const PlannedModel& model,
                            std::string* notice) {
  HardwareProfile hardware = load_profile(o.hardware, notice);
  set_capacity(hardware.device_capacity_bytes, o.device_mem, "--device-mem");
  set_capacity(hardware.host_capacity_bytes, o.host_mem, "--host-mem");
  set_capacity(hardware.disk_capacity_bytes, o.disk_mem, "--disk-mem");
  return planner_inputs(model, hardware, Workload{o.prompt_len, o.gen_len, o.num_requests});
}

PlannerOptions make_planner_options(const PlanCliOptions& o, StorageFormat dense) {
  PolicyRequest r;
  if (o.cache_dtype != "auto") r.cache_dtype = parse_cache_dtype(o.cache_dtype, "--cache-dtype");
  if (!o.compress_weight.empty()) {
    r.compress_weight = parse_compression_flag(o.compress_weight, "--compress-weight");
  }
  if (!o.compress_cache.empty()) {
    r.compress_cache = parse_compression_flag(o.compress_cache, "--compress-cache");
  }
  if (o.no_overlap) r.overlap = Overlap::kOff;
  if (o.cpu_attention) r.attention = AttentionPlace::kHost;
  r.disk_cache_allowed = true;
  return planner_options(with_auto_cache_dtype(r, dense));
}

}  // namespace strata::cli
