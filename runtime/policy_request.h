// PolicyRequest: what the user asked of the policy, as plain data (the CLI fills it from its
// flags): where the policy comes from — the planner (--policy auto), a YAML file, or the
// all-on-device policy (--policy in-memory) — and the parts fixed by hand, which win over
// either (and constrain the planner's search).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/policy.h"
#include "planner/matrix_bytes.h"
#include "planner/lp_planner.h"

namespace strata {

struct PolicyRequest {
  enum class Source { plan, file, all_on_device };
  Source source = Source::plan;
  std::optional<Policy> file;  // Source::file: the policy read from the file

  // Fixed by hand.
  std::optional<int64_t> gpu_batch_size;
  std::optional<int64_t> num_gpu_batches;
  std::optional<std::array<Placement, 3>> placements;  // weights, cache, activations
  std::optional<AttentionPlace> attention;
  std::optional<Overlap> overlap;
  std::optional<Compression> compress_weight;
  std::optional<Compression> compress_cache;
  // An uncompressed cache's elements; nullopt: auto, which the runtime resolves per model
  // (with_auto_cache_dtype) before the policy is planned or resolved.
  std::optional<CacheDType> cache_dtype;
  // The micro-batch when nothing else gives one (a file without it, all_on_device).
  int64_t default_batch_size = 1;
  // Whether a disk-resident KV cache has a folder (an offload directory was given).
  bool disk_cache_allowed = false;

  bool planned() const { return source == Source::plan; }
  // Placement and batch shape all fixed by hand: nothing is left to plan.
  bool fixes_policy() const { return placements && gpu_batch_size && num_gpu_batches; }
};

// `auto` (bf16 for a bf16 model, else f16, FlexGen's fp16) for a model whose weights are stored
// as `dense`; the request with cache_dtype filled in when it was left to auto.
CacheDType auto_cache_dtype(StorageFormat dense);
PolicyRequest with_auto_cache_dtype(PolicyRequest request, StorageFormat dense);

// The policy to run: the plan's (when planned), the file's, or all on the device with
// default_batch_size, then every hand-fixed part. InputError naming what does not hold.
Policy resolve_policy(const PolicyRequest& request, const Policy* planned = nullptr);

// The planner's constraints: the hand-fixed parts, activations off the disk (no executor homes
// them there), no disk-resident KV cache without a folder for it.
PlannerOptions planner_options(const PolicyRequest& request);

}  // namespace strata
