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

}  // namespace

std::optional<Policy> solve_placement(const PlanInputs& in, const Policy& config) {
  const CostModel model(in, config);
  LinearProgram lp;
  for (DataKind kind : kKinds) {
    for (Tier tier : kTiers) {
      // Host attention keeps the KV cache off the device (policy.h).
      const bool pinned_off = kind == DataKind::kCache && tier == Tier::kDevice &&
                              config.attention == AttentionPlace::kHost;
      lp.add_column(0.0, pinned_off ? 0.0 : 1.0, 0.0);
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
  for (const PeakForm& f : peak_memory_forms(in, config)) {
    const double cap = capacity(in.hardware, f.tier) * (1.0 - kCapacityMargin);
    lp.add_row_at_most(fraction_terms(f.bytes, 1.0 / kGiB), (cap - f.bytes.constant) / kGiB);
  }
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
    for (int64_t b = 1; b <= std::min(options.max_gpu_batch_size, max_block); b *= 2) {
      bool any = false;
      for (int64_t k : micro) {
        if (b * k > max_block) break;
        Policy config;
        config.gpu_batch_size = b;
        config.num_gpu_batches = k;
        config.attention = place;
        config.compress_weight = options.compress_weight;
        config.compress_cache = options.compress_cache;
        config.overlap = options.overlap;
        ++lps;
        const std::optional<Policy> policy = solve_placement(in, config);
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
  if (!best) explain_infeasible(in, options);
  best->memory = memory_breakdown(in, best->policy);
  best->lps_solved = lps;
  best->search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return *best;
}

}  // namespace strata
