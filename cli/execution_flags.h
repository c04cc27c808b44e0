// The flags that choose and shape the offloading executor (issue 3), shared by `strata run`,
// `strata generate` and `strata bench`: tier capacities, the offload directory, a policy (YAML
// file, FlexGen's six percentages, batch shape, cpu_attention, overlap, weight and KV cache
// compression). Plain data filled by CLI11; policy_request() and tier_capacities() turn it
// into the runtime's plain requests (runtime/policy_request.h).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/cpu_cores.h"
#include "common/policy.h"
#include "engine/executor/executor_options.h"
#include "runtime/policy_request.h"

namespace strata::cli {

struct ExecutionFlags {
  std::string device_mem, host_mem, disk_mem;  // "16GiB"; empty: no limit
  std::filesystem::path offload_dir;
  // "auto": the planner; "in-memory": every weight, the KV cache and the activations on the
  // device, one micro-batch of --batch-size; else a policy YAML file. Empty: as in-memory
  // unless another flag below is given (then a hand-made policy, defaults for the rest).
  std::string policy;
  std::vector<double> percent;                 // W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST
  int64_t gpu_batch_size = 0;                  // 0: from the policy file, else --batch-size
  int64_t num_gpu_batches = 0;                 // 0: from the policy file, else 1
  bool cpu_attention = false;
  bool no_cpu_attention = false;               // decode attention on the device, even under auto
  bool no_overlap = false;
  std::string compress_weight;                 // "q4" | "q8" | "none"; empty: from the policy
  std::string compress_cache;                  // "q4" | "q8" | "none"; empty: from the policy
  std::string cache_dtype = "auto";            // "auto" | "f16" | "bf16" | "f32"
  // run's --batch-size when given by hand: --policy auto keeps it as the plan's gpu_batch_size.
  // 0: not given.
  int64_t hand_batch_size = 0;
  int threads = available_cpu_cores();  // --threads: CPU compute threads

  // The policy flags that place or shape the executor's work (--policy in-memory refuses them;
  // --compress-cache is not one: an all-on-device cache compresses too).
  bool needs_executor() const;
  // Whether placement and batch shape are all given by hand: nothing is left to plan.
  bool fixes_policy() const { return !percent.empty() && gpu_batch_size > 0 && num_gpu_batches > 0; }
  // --policy auto: the planner chooses what the flags above do not fix.
  bool policy_auto() const { return policy == "auto"; }
  bool policy_in_memory() const { return policy == kInMemory; }
  static constexpr const char* kInMemory = "in-memory";
};

// `policy_default`: what --policy is when not given ("auto" on run; empty elsewhere).
void add_execution_options(CLI::App& app, ExecutionFlags& flags, const char* policy_default = "");

// --threads N: the threads CPU compute runs on (GEMMs, the CPU kernels), from 1 to
// kMaxCpuThreads; default every core the process may use (sched_getaffinity).
void add_threads_option(CLI::App& app, int& threads);

// --policy in-memory with a flag that places or shapes the work: InputError.
void check_in_memory_flags(const ExecutionFlags& flags);

// A --compress-weight / --compress-cache value: q4, q8 or none; InputError naming the flag.
Compression parse_compression_flag(const std::string& value, const char* flag);

// --compress-weight / --compress-cache [q4|q8|none]: a value, or bare for q4 (FlexGen's flags).
CLI::Option* add_compression_option(CLI::App& app, const std::string& name, std::string& value,
                                    const std::string& help);

// The policy request the flags describe: its source (--policy auto, a file, in-memory; with
// no --policy, a hand-made policy when any policy flag is given, else all on the device) and the
// parts fixed by hand. `batch_size` is the micro-batch when nothing else gives one. InputError
// naming the flag.
PolicyRequest policy_request(const ExecutionFlags& flags, int64_t batch_size);
// --device-mem, --host-mem, --disk-mem. InputError naming the flag.
TierCapacities tier_capacities(const ExecutionFlags& flags);

}  // namespace strata::cli
