#include "planner/infeasibility.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "planner/byte_size.h"
#include "planner/linear_program.h"
#include "planner/memory_model.h"
#include "planner/policy_check.h"

namespace strata {

namespace {

constexpr DataKind kKinds[3] = {DataKind::kWeights, DataKind::kCache, DataKind::kActivations};
constexpr Tier kTiers[3] = {Tier::kDevice, Tier::kHost, Tier::kDisk};
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The corner of the placement simplex minimising `e` (a linear form is minimised at a vertex,
// independently for each kind): every kind goes wholly to its cheapest allowed tier.
Policy argmin(const LinearExpr& e, const Policy& config) {
  Policy p = config;
  for (DataKind kind : kKinds) {
    Tier best = Tier::kHost;
    for (Tier tier : kTiers) {
      const bool allowed = !(kind == DataKind::kCache && tier == Tier::kDevice &&
                             config.attention == AttentionPlace::kHost);
      if (allowed && e.coef[fraction_index(kind, tier)] <
                         e.coef[fraction_index(kind, best)]) {
        best = tier;
      }
    }
    placement(p, kind) = Placement{best == Tier::kDevice ? 1.0 : 0.0,
                                   best == Tier::kHost ? 1.0 : 0.0,
                                   best == Tier::kDisk ? 1.0 : 0.0};
  }
  return p;
}

std::string contents(const PlannedTierBytes& t) {
  return str_cat("weights ", format_gib(t.weights), ", KV cache ", format_gib(t.cache),
                 ", activations ", format_gib(t.activations), ", buffers ", format_gib(t.buffers));
}

PlannedTierBytes sum(const std::array<PlannedTierBytes, 3>& tiers) {
  PlannedTierBytes s;
  for (const PlannedTierBytes& t : tiers) {
    s.weights += t.weights;
    s.cache += t.cache;
    s.activations += t.activations;
    s.buffers += t.buffers;
  }
  return s;
}

}  // namespace

void explain_infeasible(const PlanInputs& in, const PlannerOptions& options) {
  // The smallest batch the search may try: 1 x 1, or what was fixed by hand.
  Policy config;
  config.gpu_batch_size = options.gpu_batch_size.value_or(1);
  config.num_gpu_batches = options.num_gpu_batches.value_or(1);
  config.compress_weight = options.compress_weight;
  config.compress_cache = options.compress_cache;
  config.cache_dtype = options.cache_dtype;
  config.attention = options.attention == AttentionChoice::kHost ? AttentionPlace::kHost
                                                                 : AttentionPlace::kDevice;
  const bool fixed = options.gpu_batch_size || options.num_gpu_batches;
  const std::string head = str_cat(
      "capacities too small for ", in.model.name, ": ", fixed ? "the batch given" : "even the "
      "smallest batch", " (gpu_batch_size ", config.gpu_batch_size, ", num_gpu_batches ",
      config.num_gpu_batches, ") needs ");
  const std::vector<PeakForm> forms = peak_memory_forms(in, config);
  // 1. One tier cannot hold even its own minimum (its buffers and temporaries).
  for (const PeakForm& f : forms) {
    const Policy p = argmin(f.bytes, config);
    const double need = f.bytes.at(p), have = capacity(in.hardware, f.tier);
    if (need <= have) continue;
    const MemoryBreakdown m = memory_breakdown(in, p);
    const int i = static_cast<int>(f.tier);
    const PlannedTierBytes& t = f.phase == Phase::kPrefill ? m.prefill[i] : m.decode[i];
    fail_input(head, "at least ", format_gib(need), " of ", to_string(f.tier), " memory (",
               contents(t), "), have ", format_gib(have), "; short by ", format_gib(need - have));
  }
  // 2. All three tiers together cannot hold the homes plus the least buffers.
  const double total_cap = in.hardware.device_capacity_bytes + in.hardware.host_capacity_bytes +
                           in.hardware.disk_capacity_bytes;
  for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
    LinearExpr all;
    for (const PeakForm& f : forms) {
      if (f.phase == phase || f.tier == Tier::kDisk) all += f.bytes;
    }
    const Policy p = argmin(all, config);
    const double need = all.at(p);
    if (need <= total_cap) continue;
    const MemoryBreakdown m = memory_breakdown(in, p);
    fail_input(head, format_gib(need), " across device+host+disk (",
               contents(sum(phase == Phase::kPrefill ? m.prefill : m.decode)), "), have ",
               format_gib(total_cap), " (device ", format_gib(in.hardware.device_capacity_bytes),
               ", host ", format_gib(in.hardware.host_capacity_bytes), ", disk ",
               format_gib(in.hardware.disk_capacity_bytes), "); short by ",
               format_gib(need - total_cap));
  }
  // 3. Each alone fits but not together (e.g. weights must go to disk and the host cannot
  //    stage them): an elastic LP finds the least total overflow and where it lands.
  LinearProgram lp;
  for (DataKind kind : kKinds) {
    for (Tier tier : kTiers) {
      const bool off = kind == DataKind::kCache && tier == Tier::kDevice &&
                       config.attention == AttentionPlace::kHost;
      lp.add_column(0.0, off ? 0.0 : 1.0, 0.0);
    }
  }
  for (DataKind kind : kKinds) {
    LinearProgram::Terms row;
    for (Tier tier : kTiers) row.emplace_back(fraction_index(kind, tier) + 1, 1.0);
    lp.add_row_equal(row, 1.0);
  }
  std::vector<int> slack;
  for (const PeakForm& f : forms) {
    slack.push_back(lp.add_column(0.0, 1e30, 1.0));
    LinearProgram::Terms row;
    for (int i = 0; i < kNumFractions; ++i) row.emplace_back(i + 1, f.bytes.coef[i] / kGiB);
    row.emplace_back(slack.back(), -1.0);
    lp.add_row_at_most(row, (capacity(in.hardware, f.tier) - f.bytes.constant) / kGiB);
  }
  STRATA_CHECK(lp.minimize() == LinearProgram::Status::kOptimal, "elastic LP has no optimum");
  std::string where;
  for (size_t i = 0; i < forms.size(); ++i) {
    const double short_by = lp.value(slack[i]) * kGiB;
    if (short_by < 1024.0 * 1024.0) continue;
    where += str_cat(where.empty() ? "" : ", ", format_gib(short_by), " more ",
                     to_string(forms[i].tier), " memory in ",
                     forms[i].phase == Phase::kPrefill ? "prefill" : "decode");
  }
  fail_input(head, where.empty() ? "slightly more memory" : where,
             " than the capacities allow (device ", format_gib(in.hardware.device_capacity_bytes),
             ", host ", format_gib(in.hardware.host_capacity_bytes), ", disk ",
             format_gib(in.hardware.disk_capacity_bytes), ")");
}

}  // namespace strata
