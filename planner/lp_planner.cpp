#include "planner/lp_planner.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/error.h"
#include "planner/infeasibility.h"
#include "planner/linear_program.h"
#include "planner/memory_model.h"

namespace strata {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;  // memory rows in GiB keep the LP well scaled
constexpr DataKind kKinds[3] = {DataKind::kWeights, DataKind::kCache, DataKind::kActivations};
constexpr Tier kTiers[3] = {Tier::kDevice, Tier::kHost, Tier::kDisk};

// Terms of `expr` over the fraction columns (1..9), scaled.
LinearProgram::Terms fraction_terms(const LinearExpr& expr, double scale) {
  LinearProgram::Terms terms;
  for (int i = 0; i < kNumFractions; ++i) terms.emplace_back(i + 1, expr.coef[i] * scale);
  return terms;
}

// Clamps solver noise into [0,1] and renormalises each placement to sum exactly to 1.
void set_fractions(Policy& policy, const LinearProgram& lp) {
  for (DataKind kind : kKinds) {
    double v[3];
    for (Tier tier : kTiers) {
      const double x = lp.value(fraction_index(kind, tier) + 1);
      v[static_cast<int>(tier)] = x < 1e-12 ? 0.0 : std::min(x, 1.0);
    }
    const double sum = v[0] + v[1] + v[2];
    placement(policy, kind) = Placement{v[0] / sum, v[1] / sum, v[2] / sum};
  }
}

// 1, 2, 3, 4, 6, 8, 12, 16, ...: powers of two and 1.5x powers of two (FlexGen used 3 and 8).
std::vector<int64_t> micro_batch_counts(int64_t max) {
  std::vector<int64_t> out;
  for (int64_t p = 1; p <= max; p *= 2) {
    out.push_back(p);
    if (p >= 2 && p + p / 2 <= max) out.push_back(p + p / 2);
  }
  return out;
}

// The shapes to try along one axis: the hand-fixed value alone, else the searched list.
std::vector<int64_t> batch_sizes(const PlannerOptions& o, int64_t max_block) {
  if (o.gpu_batch_size) return {*o.gpu_batch_size};
  std::vector<int64_t> out;
  for (int64_t b = 1; b <= std::min(o.max_gpu_batch_size, max_block); b *= 2) out.push_back(b);
  return out;
}

// Whether `policy` fits every tier by the executor's own accounting.
bool fits_executor(const PlanInputs& in, const Policy& policy) {
  for (const ExecutorMemoryForm& f : in.executor_memory(policy)) {
    if (f.at(policy) > capacity(in.hardware, f.tier) * (1.0 - kCapacityMargin)) return false;
  }
  return true;
}

// A hand-fixed placement is not solved for: it fits the shape or it does not.
std::optional<Policy> check_fixed_placement(const PlanInputs& in, Policy config,
                                            const std::array<Placement, 3>& fixed) {
  config.weights = fixed[0];
  config.cache = fixed[1];
  config.activations = fixed[2];
  if (config.attention == AttentionPlace::kHost && config.cache.device > 0) return std::nullopt;
  const bool fits = in.executor_memory ? fits_executor(in, config) : check_policy(in, config).empty();
  if (!fits) return std::nullopt;
  return config;
}

// The LP's capacity rows: the planner's memory model, or the executor's forms with the reserves
// of the kinds not held wholly on the device (`on_device[kind]`: that kind's device fraction is
// pinned to 1 instead).
void add_memory_rows(LinearProgram& lp, const PlanInputs& in, const Policy& config,
                     const std::array<bool, 3>& on_device) {
  if (!in.executor_memory) {
    for (const PeakForm& f : peak_memory_forms(in, config)) {
      const double cap = capacity(in.hardware, f.tier) * (1.0 - kCapacityMargin);
      lp.add_row_at_most(fraction_terms(f.bytes, 1.0 / kGiB), (cap - f.bytes.constant) / kGiB);
    }
    return;
  }
  for (const ExecutorMemoryForm& f : in.executor_memory(config)) {
    double constant = f.bytes.constant;
    for (DataKind kind : kKinds) {
      if (!on_device[size_t(kind)]) constant += f.off_device_reserve[size_t(kind)];
    }
    const double cap = capacity(in.hardware, f.tier) * (1.0 - kCapacityMargin);
    lp.add_row_at_most(fraction_terms(f.bytes, 1.0 / kGiB), (cap - constant) / kGiB);
  }
}

std::optional<Policy> solve_regime(const PlanInputs& in, const Policy& config,
                                   const PlacementLimits& limits,
                                   const std::array<bool, 3>& on_device);

}  // namespace

bool TierMask::allows(Tier tier) const {
  return tier == Tier::kDevice ? device : tier == Tier::kHost ? host : disk;
}

const TierMask& PlacementLimits::of(DataKind kind) const {
  return kind == DataKind::kWeights ? weights : kind == DataKind::kCache ? cache : activations;
}

std::optional<Policy> solve_placement(const PlanInputs& in, const Policy& config,
                                      const PlacementLimits& limits) {
  if (!in.executor_memory) return solve_regime(in, config, limits, {false, false, false});
  // The executor's buffers of a kind exist only when part of it is off the device: a step the
  // LP cannot express, so each kind is solved both ways (wholly on the device, without its
  // buffers; anywhere, with them) and the fastest solution is kept.
  std::optional<Policy> best;
  double best_time = 0;
  for (int regime = 0; regime < 8; ++regime) {
    const std::array<bool, 3> on_device = {(regime & 1) != 0, (regime & 2) != 0,
                                           (regime & 4) != 0};
    if (on_device[1] && config.attention == AttentionPlace::kHost) continue;
    const std::optional<Policy> p = solve_regime(in, config, limits, on_device);
    if (!p) continue;
    const double t = CostModel(in, *p).predict(*p).seconds_per_token;
    if (!best || t < best_time * (1 - 1e-9)) {
      best = p;
      best_time = t;
    }
  }
  return best;
}

namespace {

std::optional<Policy> solve_regime(const PlanInputs& in, const Policy& config,
                                   const PlacementLimits& limits,
                                   const std::array<bool, 3>& on_device) {
  const CostModel model(in, config);
  LinearProgram lp;
  for (DataKind kind : kKinds) {
    for (Tier tier : kTiers) {
      // Host attention keeps the KV cache off the device (policy.h).
      const bool pinned_off = kind == DataKind::kCache && tier == Tier::kDevice &&
                              config.attention == AttentionPlace::kHost;
      const bool pinned_on_device = on_device[size_t(kind)] && tier != Tier::kDevice;
      lp.add_column(0.0,
                    pinned_off || pinned_on_device || !limits.of(kind).allows(tier) ? 0.0 : 1.0,
                    0.0);
    }
  }
  for (DataKind kind : kKinds) {
    LinearProgram::Terms sum;
    for (Tier tier : kTiers) sum.emplace_back(fraction_index(kind, tier) + 1, 1.0);
    lp.add_row_equal(sum, 1.0);
  }
  // Epigraph: one column per stage, T_s >= each resource's busy time (overlap) or their sum.
  const double per_token = 1.0 / model.tokens_per_block();
  std::vector<int> stage_cols;
  LinearExpr transfer;  // total busy time of all resources, the tie-breaking objective
  for (const Stage& st : model.stages()) {
    const int col = lp.add_column(0.0, 1e30, st.count * per_token);
    stage_cols.push_back(col);
    LinearExpr sum;
    for (const LinearExpr& busy : st.busy) {
      sum += busy;
      transfer += busy.scaled(st.count * per_token);
      if (config.overlap == Overlap::kOff) continue;
      LinearProgram::Terms row = fraction_terms(busy, -1.0);
      row.emplace_back(col, 1.0);
      lp.add_row_at_least(row, busy.constant);
    }
    if (config.overlap == Overlap::kOff) {
      LinearProgram::Terms row = fraction_terms(sum, -1.0);
      row.emplace_back(col, 1.0);
      lp.add_row_at_least(row, sum.constant);
    }
  }
  add_memory_rows(lp, in, config, on_device);
  if (lp.minimize() == LinearProgram::Status::kInfeasible) return std::nullopt;

  Policy policy = config;
  set_fractions(policy, lp);

  // Second pass: keep the time within 1e-7 of the optimum, minimise total transfer time. The
  // slack absorbs the simplex's own tolerances; should the solver still call the tightened LP
  // infeasible, the first pass's placement (equally fast) stands.
  const double best = lp.objective();
  LinearProgram::Terms time_row;
  for (size_t i = 0; i < stage_cols.size(); ++i) {
    time_row.emplace_back(stage_cols[i], model.stages()[i].count * per_token);
    lp.set_objective(stage_cols[i], 0.0);
  }
  lp.add_row_at_most(time_row, best * (1.0 + 1e-7) + 1e-12);
  for (int i = 0; i < kNumFractions; ++i) lp.set_objective(i + 1, transfer.coef[i]);
  if (lp.minimize() == LinearProgram::Status::kOptimal) set_fractions(policy, lp);
  return policy;
}

}  // namespace

Plan plan_policy(const PlanInputs& in, const PlannerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  validate(in);
  STRATA_CHECK_INPUT(options.max_gpu_batch_size >= 1 && options.max_num_gpu_batches >= 1,
                     "planner: max_gpu_batch_size and max_num_gpu_batches must be >= 1");
  std::vector<AttentionPlace> places;
  if (options.attention != AttentionChoice::kHost) places.push_back(AttentionPlace::kDevice);
  if (options.attention != AttentionChoice::kDevice) places.push_back(AttentionPlace::kHost);
  const int64_t max_block = in.workload.num_requests.value_or(INT64_MAX);
  const std::vector<int64_t> micro = micro_batch_counts(options.max_num_gpu_batches);

  std::optional<Plan> best;
  int64_t lps = 0;
  for (AttentionPlace place : places) {
    for (int64_t b : batch_sizes(options, max_block)) {
      bool any = false;
      const std::vector<int64_t> ks = options.num_gpu_batches
                                          ? std::vector<int64_t>{*options.num_gpu_batches}
                                          : micro;
      for (int64_t k : ks) {
        // Sizes fixed by hand are tried whatever the request count (k = 1 with a fixed b).
        const bool hand = options.num_gpu_batches || (options.gpu_batch_size && k == 1);
        if (b * k > max_block && !hand) break;
        Policy config;
        config.gpu_batch_size = b;
        config.num_gpu_batches = k;
        config.attention = place;
        config.compress_weight = options.compress_weight;
        config.compress_cache = options.compress_cache;
        config.cache_dtype = options.cache_dtype;
        config.overlap = options.overlap;
        ++lps;
        const std::optional<Policy> policy =
            options.placements ? check_fixed_placement(in, config, *options.placements)
                               : solve_placement(in, config, options.limits);
        // Memory only grows with k (and with b), so the first infeasible shape ends the row.
        if (!policy) break;
        any = true;
        const Prediction pred = CostModel(in, *policy).predict(*policy);
        if (options.on_solution) options.on_solution(*policy, pred);
        if (!best || pred.seconds_per_token < best->prediction.seconds_per_token * (1 - 1e-9)) {
          best = Plan{*policy, pred, {}, 0, 0};
        }
      }
      if (!any) break;
    }
  }
  if (!best && options.placements) {
    // The hand-given placement does not fit even the smallest shape tried: say where.
    Policy smallest;
    smallest.gpu_batch_size = options.gpu_batch_size.value_or(1);
    smallest.num_gpu_batches = options.num_gpu_batches.value_or(1);
    smallest.weights = (*options.placements)[0];
    smallest.cache = (*options.placements)[1];
    smallest.activations = (*options.placements)[2];
    smallest.attention = places.front();
    smallest.compress_weight = options.compress_weight;
    smallest.compress_cache = options.compress_cache;
    smallest.cache_dtype = options.cache_dtype;
    smallest.overlap = options.overlap;
    std::string lines;
    for (const std::string& line : check_policy(in, smallest)) {
      lines += (lines.empty() ? "" : "; ") + line;
    }
    if (lines.empty()) lines = "decode attention on the host needs no KV cache on the device";
    STRATA_CHECK_INPUT(false, "no batch shape fits the given placement for ", in.model.name,
                       " (gpu_batch_size ", smallest.gpu_batch_size, " x num_gpu_batches ",
                       smallest.num_gpu_batches, "): ", lines);
  }
  if (!best) explain_infeasible(in, options);
  best->memory = memory_breakdown(in, best->policy);
  best->lps_solved = lps;
  best->search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return *best;
}

}  // namespace strata
