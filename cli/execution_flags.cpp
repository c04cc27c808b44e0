#include "cli/execution_flags.h"
#include "cli/flag_checks.h"

#include "common/error.h"
#include "planner/byte_size.h"
#include "planner/policy_yaml.h"

namespace strata::cli {
namespace {

std::optional<uint64_t> capacity(const std::string& text, const char* flag) {
  if (text.empty()) return std::nullopt;
  return parse_size_flag(text, flag);
}


}  // namespace

Compression parse_compression_flag(const std::string& value, const char* flag) {
  STRATA_CHECK_INPUT(value == "none" || value == "q4" || value == "q8", flag, ": '", value,
                     "' is not a compression (accepted: q4, q8, none)");
  return parse_compression(value);
}

CLI::Option* add_compression_option(CLI::App& app, const std::string& name, std::string& value,
                                    const std::string& help) {
  // FlexGen's flags take no value; a bare flag means q4 (CLI11 gives an option of 0 or 1
  // values its default string when none follows).
  return app.add_option(name, value, help + ". q4, q8 or none; given bare: q4")
      ->expected(0, 1)
      ->default_str("q4")
      ->option_text("[q4|q8|none]");  // not "=q4": without the flag nothing is compressed
}

bool ExecutionFlags::needs_executor() const {
  return !percent.empty() || gpu_batch_size > 0 || num_gpu_batches > 0 || cpu_attention ||
         no_cpu_attention || no_overlap || !compress_weight.empty();
}

void add_threads_option(CLI::App& app, int& threads) {
  app.add_option("--threads", threads, "Threads for CPU compute (GEMMs and the CPU kernels; I/O "
                 "workers mostly wait and are not counted). Default: every core this process "
                 "may use")
      ->check(integer_in(1, kMaxCpuThreads))
      ->capture_default_str();
}

void add_execution_options(CLI::App& app, ExecutionFlags& f, const char* policy_default) {
  add_threads_option(app, f.threads);
  const char* group = "Offloading (weights and KV cache over device, host and disk)";
  app.add_option("--device-mem", f.device_mem, "Device memory to use (e.g. 16GiB); on the CPU "
                 "backend a RAM budget. Default: no limit")->group(group);
  app.add_option("--host-mem", f.host_mem, "Host memory to use (e.g. 64GiB). Default: no limit")
      ->group(group);
  app.add_option("--disk-mem", f.disk_mem, "Disk space to use under --offload-dir (e.g. "
                 "500GiB). Default: no limit")->group(group);
  app.add_option("--offload-dir", f.offload_dir, "Directory for the disk-resident KV cache "
                 "(files removed at exit) and for models converted on first use")->group(group);
  f.policy = policy_default;
  CLI::Option* policy = app.add_option(
      "--policy", f.policy, "auto: the planner, for this machine's cached profile (measured on "
      "first use), the capacities and the workload; flags given by hand win. in-memory: every "
      "weight, the KV cache and the activations on the device, --batch-size sequences at a time "
      "(no planning). FILE: a policy YAML (as strata plan writes)");
  policy->check(CLI::Validator(
                    [](std::string& v) {
                      return v == "auto" || v == ExecutionFlags::kInMemory ||
                                     std::filesystem::is_regular_file(v)
                                 ? std::string()
                                 : "'" + v + "': not auto, in-memory or an existing policy file";
                    },
                    "auto|in-memory|FILE"))
      ->group(group);
  if (*policy_default != '\0') policy->capture_default_str();
  app.add_option("--percent", f.percent, "FlexGen's W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST "
                 "(0-100 each; disk takes the rest)")->expected(6)->group(group);
  app.add_option("--gpu-batch-size", f.gpu_batch_size, "Sequences per micro-batch")
      ->check(integer_in(1, kMaxSequences))->group(group);
  app.add_option("--num-gpu-batches", f.num_gpu_batches, "Micro-batches per block")
      ->check(integer_in(1, kMaxSequences))->group(group);
  app.add_flag("--cpu-attention", f.cpu_attention, "Run decode attention where the KV cache "
               "lives (host), instead of copying it to the device")->group(group);
  app.add_flag("--no-cpu-attention", f.no_cpu_attention, "Run decode attention on the device "
               "(the default of a hand-made policy; with --policy auto it keeps the planner from "
               "choosing cpu_attention)")->group(group)->excludes("--cpu-attention");
  add_compression_option(app, "--compress-weight", f.compress_weight,
                         "Decoder weights as group-wise q4 or q8 (group 64; a Hugging Face "
                         "directory is converted once into such a store; a store must already "
                         "be quantized, see strata convert --quant)")
      ->group(group);
  add_compression_option(app, "--compress-cache", f.compress_cache,
                         "KV cache as group-wise q4 or q8 along head_dim (groups of at most 64 "
                         "within a head), quantized as it is written and stored, moved and "
                         "attended as packed bytes on every tier")
      ->group(group);
  app.add_option("--cache-dtype", f.cache_dtype,
                 "Elements of an uncompressed KV cache on every tier: auto (bf16 for a bf16 "
                 "model, else f16), f16, bf16 or f32 (exact, twice the bytes)")
      ->check(CLI::IsMember({"auto", "f16", "bf16", "f32"}))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--no-overlap", f.no_overlap, "Run transfers one after another instead of "
               "overlapping them with compute (for comparison)")->group(group);
}

void check_in_memory_flags(const ExecutionFlags& f) {
  STRATA_CHECK_INPUT(!f.policy_in_memory() || (f.device_mem.empty() && f.host_mem.empty() &&
                                                 f.disk_mem.empty() && !f.needs_executor()),
                     "--policy in-memory keeps everything on the device, --batch-size sequences "
                     "at a time: drop the offloading flags (--compress-cache may stay), or use "
                     "--policy auto or a policy file");
  if (!f.compress_cache.empty()) parse_compression_flag(f.compress_cache, "--compress-cache");
}

PolicyRequest policy_request(const ExecutionFlags& f, int64_t batch_size) {
  check_in_memory_flags(f);
  PolicyRequest r;
  r.default_batch_size = batch_size;
  if (f.policy_auto()) {
    r.source = PolicyRequest::Source::plan;
  } else if (f.policy.empty() || f.policy_in_memory()) {
    r.source = PolicyRequest::Source::all_on_device;
  } else {
    r.source = PolicyRequest::Source::file;
    r.file = read_policy_yaml(f.policy);
  }
  if (!f.percent.empty()) {
    STRATA_CHECK_INPUT(f.percent.size() == 6, "--percent: expected 6 numbers, got ",
                       f.percent.size());
    Policy p;
    set_flexgen_percent(p, {f.percent[0], f.percent[1], f.percent[2], f.percent[3], f.percent[4],
                            f.percent[5]});
    r.placements = std::array<Placement, 3>{p.weights, p.cache, p.activations};
  }
  // Under --policy auto, run's --batch-size given by hand is the plan's micro-batch.
  if (f.gpu_batch_size > 0) {
    r.gpu_batch_size = f.gpu_batch_size;
  } else if (f.policy_auto() && f.hand_batch_size > 0) {
    r.gpu_batch_size = f.hand_batch_size;
  }
  if (f.num_gpu_batches > 0) r.num_gpu_batches = f.num_gpu_batches;
  if (f.cpu_attention) r.attention = AttentionPlace::kHost;
  if (f.no_cpu_attention) r.attention = AttentionPlace::kDevice;
  if (f.no_overlap) r.overlap = Overlap::kOff;
  if (!f.compress_weight.empty()) {
    r.compress_weight = parse_compression_flag(f.compress_weight, "--compress-weight");
  }
  if (!f.compress_cache.empty()) {
    r.compress_cache = parse_compression_flag(f.compress_cache, "--compress-cache");
  }
  if (f.cache_dtype != "auto") r.cache_dtype = parse_cache_dtype(f.cache_dtype, "--cache-dtype");
  r.disk_cache_allowed = !f.offload_dir.empty();
  return r;
}

TierCapacities tier_capacities(const ExecutionFlags& f) {
  TierCapacities c;
  c.device = capacity(f.device_mem, "--device-mem");
  c.host = capacity(f.host_mem, "--host-mem");
  c.disk = capacity(f.disk_mem, "--disk-mem");
  return c;
}

}  // namespace strata::cli
