#include "planner/policy_check.h"

#include <algorithm>

#include "common/error.h"
#include "planner/block_sizes.h"
#include "planner/byte_size.h"

namespace strata {

namespace {

constexpr Tier kTiers[3] = {Tier::kDevice, Tier::kHost, Tier::kDisk};

// One phase, written as "what sits where" rather than as LP coefficients.
std::array<PlannedTierBytes, 3> phase_bytes(const BlockSizes& z, const Policy& p, bool prefill) {
  const double t = prefill ? z.prompt : 1.0;
  const double weights = z.layers * z.layer_weights + static_cast<double>(z.bytes.outside_weights);
  const double cache = z.layers * z.block * (z.prompt + z.gen) * z.kv_token;
  const double hidden = z.block * t * z.act_token;
  std::array<PlannedTierBytes, 3> out;
  for (Tier tier : kTiers) {
    PlannedTierBytes& tb = out[static_cast<int>(tier)];
    tb.weights = weights * fraction(p.weights, tier);
    tb.cache = cache * fraction(p.cache, tier);
    tb.activations = hidden * fraction(p.activations, tier);
  }
  // Staging slots are double-buffered (one in use, one in flight). The device stages what is not
  // homed on it; the host stages what comes from or goes to the disk.
  const double weight_slot = z.weight_buffer;
  const double kv_tokens = prefill ? z.prompt : z.prompt + z.gen;
  const double kv_slot = z.batch * kv_tokens * z.kv_token;
  const double hidden_slot = z.batch * t * z.act_token;
  const bool kv_to_device = prefill || p.attention == AttentionPlace::kDevice;
  const int ph = prefill ? 0 : 1;
  PlannedTierBytes& dev = out[static_cast<int>(Tier::kDevice)];
  dev.buffers = 2 * weight_slot * (1 - p.weights.device) +
                (kv_to_device ? 2 * kv_slot * (1 - p.cache.device) : 0) +
                2 * hidden_slot * (1 - p.activations.device) + z.device_workspace[ph];
  PlannedTierBytes& host = out[static_cast<int>(Tier::kHost)];
  host.buffers = 2 * weight_slot * p.weights.disk + 2 * kv_slot * p.cache.disk +
                 2 * hidden_slot * p.activations.disk + z.host_workspace[ph];
  return out;
}

}  // namespace

const PlannedTierBytes& MemoryBreakdown::peak(Tier tier) const {
  const int i = static_cast<int>(tier);
  return decode[i].total() > prefill[i].total() ? decode[i] : prefill[i];
}

MemoryBreakdown memory_breakdown(const PlanInputs& in, const Policy& policy) {
  const BlockSizes z = block_sizes(in, policy);
  MemoryBreakdown m;
  m.prefill = phase_bytes(z, policy, true);
  m.decode = phase_bytes(z, policy, false);
  m.capacity = {in.hardware.device_capacity_bytes, in.hardware.host_capacity_bytes,
                in.hardware.disk_capacity_bytes};
  return m;
}

std::vector<std::string> check_policy(const PlanInputs& in, const Policy& policy) {
  std::vector<std::string> violations;
  try {
    validate(in);
    validate(policy);
  } catch (const InputError& e) {
    violations.emplace_back(e.what());
    return violations;
  }
  const Workload& w = in.workload;
  if (w.num_requests && policy.block_size() > *w.num_requests) {
    violations.push_back(str_cat("block of ", policy.block_size(), " sequences exceeds the ",
                                 *w.num_requests, " requests"));
  }
  const MemoryBreakdown m = memory_breakdown(in, policy);
  for (Tier tier : kTiers) {
    const int i = static_cast<int>(tier);
    for (const auto& [phase, bytes] : {std::pair{"prefill", m.prefill[i]}, {"decode", m.decode[i]}}) {
      if (bytes.total() <= m.capacity[i]) continue;
      violations.push_back(str_cat(to_string(tier), ": ", phase, " peak ",
                                   format_gib(bytes.total()), " exceeds capacity ",
                                   format_gib(m.capacity[i]), " by ",
                                   format_gib(bytes.total() - m.capacity[i])));
    }
  }
  return violations;
}

}  // namespace strata
