// The flags that choose and shape the offloading executor (issue 3), shared by `strata run`,
// `strata generate` and `strata bench`: tier capacities, the offload directory, a policy (YAML
// file, FlexGen's six percentages, batch shape, cpu_attention, overlap, weight and KV cache
// compression). Plain data filled by CLI11; resolve_executor_options() turns it into the
// engine's ExecutorOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/executor/executor_policy.h"
#include "planner/policy.h"

namespace strata::cli {

struct ExecutionFlags {
  std::string device_mem, host_mem, disk_mem;  // "16GiB"; empty: no limit
  std::filesystem::path offload_dir;
  // "auto": the planner (cli/plan/auto_policy.h); "in-memory": no executor, the whole model in
  // memory; else a policy YAML file. Empty: in memory unless another flag below is given.
  std::string policy;
  std::vector<double> percent;                 // W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST
  int64_t gpu_batch_size = 0;                  // 0: from the policy file, else --batch-size
  int64_t num_gpu_batches = 0;                 // 0: from the policy file, else 1
  bool cpu_attention = false;
  bool no_cpu_attention = false;               // decode attention on the device, even under auto
  bool no_overlap = false;
  std::string compress_weight;                 // "q4" | "q8" | "none"; empty: from the policy
  std::string compress_cache;                  // "q4" | "q8" | "none"; empty: from the policy
  // run's --batch-size when given by hand: --policy auto keeps it as the plan's gpu_batch_size
  // (it is not a policy flag: a plan that fits the device still runs in memory). 0: not given.
  int64_t hand_batch_size = 0;

  // Whether any flag asks for the executor (--policy in-memory does not).
  bool any() const;
  // Whether a flag given by hand fixes part of the policy (placement, shape, attention, overlap,
  // compression); a policy file does not count.
  bool shapes_policy() const { return needs_executor() || !compress_cache.empty(); }
  // The policy flags only the executor honours (the all-in-memory Generator can compress its
  // KV cache too, so --compress-cache is not one of them).
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

// --policy in-memory with a flag that only the executor honours: InputError.
void check_in_memory_flags(const ExecutionFlags& flags);

// The KV cache element type of a compression: f32 (none), q4 or q8.
DType cache_dtype_of(Compression compression);
// A --compress-weight / --compress-cache value: q4, q8 or none; InputError naming the flag.
Compression parse_compression_flag(const std::string& value, const char* flag);

// --compress-weight / --compress-cache [q4|q8|none]: a value, or bare for q4 (FlexGen's flags).
CLI::Option* add_compression_option(CLI::App& app, const std::string& name, std::string& value,
                                    const std::string& help);

// The policy and capacities the flags describe; `batch_size` is the gpu_batch_size used when
// neither --gpu-batch-size nor a policy file gives one. Throws InputError naming the flag.
// With `planned` (--policy auto), the plan takes the place of the defaults and the policy file;
// the flags given by hand still win (the planner already kept them fixed).
ExecutorOptions resolve_executor_options(const ExecutionFlags& flags, int64_t batch_size,
                                         WarningSink warn, const Policy* planned = nullptr);

}  // namespace strata::cli
