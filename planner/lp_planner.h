// The planner: for a batch shape, a GLPK LP chooses the nine placement fractions minimising the
// predicted time per generated token subject to every tier's peak memory (cost_model.h,
// memory_model.h); an outer search enumerates batch shapes (and where attention runs) and keeps
// the best. Formulation and derivations: docs/planner.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "planner/cost_model.h"
#include "planner/plan_inputs.h"
#include "common/policy.h"
#include "planner/policy_check.h"

namespace strata {

// Where decode attention may run: searched, or fixed by the user.
enum class AttentionChoice { kSearch, kDevice, kHost };

// Tiers one kind of data may be homed on. An executor that cannot home something on a tier
// (the CPU executor keeps activations off the disk; without an offload directory it has no
// place for a disk-resident KV cache) says so here and the LP keeps that fraction at 0.
struct TierMask {
  bool device = true;
  bool host = true;
  bool disk = true;
  bool allows(Tier tier) const;
};

struct PlacementLimits {
  TierMask weights;
  TierMask cache;
  TierMask activations;
  const TierMask& of(DataKind kind) const;
};

struct PlannerOptions {
  Compression compress_weight = Compression::kNone;
  Compression compress_cache = Compression::kNone;
  CacheDType cache_dtype = CacheDType::kF16;  // an uncompressed cache's elements (not searched)
  Overlap overlap = Overlap::kOn;
  AttentionChoice attention = AttentionChoice::kSearch;
  int64_t max_gpu_batch_size = 1024;  // searched: 1, 2, 4, ... up to this
  int64_t max_num_gpu_batches = 64;   // searched: 1, 2, 3, 4, 6, 8, 12, ... up to this
  PlacementLimits limits;
  // Parts of the policy fixed by hand (`--policy auto` with --gpu-batch-size, --percent, ...):
  // a fixed batch size is the only one tried; fixed placements are not solved for, only checked
  // against the memory of each batch shape (policy_check.h), so the search picks the shape.
  std::optional<int64_t> gpu_batch_size;
  std::optional<int64_t> num_gpu_batches;
  std::optional<std::array<Placement, 3>> placements;  // weights, cache, activations
  // Called with every LP solution of the search (tests re-check each; a verbose CLI can list them).
  std::function<void(const Policy&, const Prediction&)> on_solution;
};

struct Plan {
  Policy policy;
  Prediction prediction;
  MemoryBreakdown memory;
  int64_t lps_solved = 0;
  double search_seconds = 0;
};

// The LP plans against capacity * (1 - kCapacityMargin) so the solver's feasibility tolerance
// never yields a plan over the real capacity.
constexpr double kCapacityMargin = 1e-6;

// Best fractions for the batch shape, attention place, compression and overlap of `config`
// (its fractions are ignored), or nullopt when no placement fits. Among placements within 1e-7
// of the best time, the one with the least total transfer time is returned (ties would otherwise
// be broken arbitrarily by the simplex).
std::optional<Policy> solve_placement(const PlanInputs& inputs, const Policy& config,
                                      const PlacementLimits& limits = {});

// Searches batch shapes; throws InputError naming the tier and the shortfall in bytes when even
// the smallest batch cannot be placed (infeasibility.h).
Plan plan_policy(const PlanInputs& inputs, const PlannerOptions& options = {});

}  // namespace strata
