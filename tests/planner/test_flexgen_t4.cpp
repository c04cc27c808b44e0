// FlexGen's published setting (REFERENCE.md): one T4, 208 GB DRAM, 1.5 TB SSD, prompt 512,
// gen 32, OPT-6.7B / 30B / 175B, with and without 4-bit compression. The chosen policies are
// printed for docs/planner.md; only what must hold is asserted.
#include <catch2/catch.hpp>

#include <cstdio>
#include <iostream>
#include <map>

#include "planner/plan_report.h"
#include "planner/policy_check.h"
#include "tests/planner/planner_test_util.h"

namespace strata {
namespace {

Plan plan_t4(const std::string& model, Compression compression) {
  const PlanInputs in = test::t4_inputs(model, 512, 32);
  PlannerOptions options;
  options.compress_weight = compression;
  options.compress_cache = compression;
  int64_t solutions = 0;
  options.on_solution = [&](const Policy& policy, const Prediction&) {
    ++solutions;
    const std::vector<std::string> violations = check_policy(in, policy);
    INFO(format_policy(policy));
    CHECK(violations.empty());
  };
  const Plan plan = plan_policy(in, options);
  CHECK(solutions > 0);
  CHECK(check_policy(in, plan.policy).empty());
  CHECK(plan.search_seconds < 1.0);
  std::cout << "=== " << model << " compression " << to_string(compression) << " ===\n"
            << format_plan(plan, in) << std::endl;
  return plan;
}

TEST_CASE("FlexGen T4 setting: every model plans, compression helps 175B", "[planner]") {
  std::map<std::string, double> plain, compressed;
  for (const char* model : {"opt-6.7b", "opt-30b", "opt-175b"}) {
    plain[model] = plan_t4(model, Compression::kNone).prediction.total_tokens_per_s;
    compressed[model] = plan_t4(model, Compression::kQ4).prediction.total_tokens_per_s;
    CHECK(plain[model] > 0);
    CHECK(compressed[model] > 0);
  }
  // 4-bit weights and cache cut OPT-175B's disk and PCIe traffic ~3.5x (FlexGen: 0.69 -> 1.12).
  CHECK(compressed["opt-175b"] > plain["opt-175b"]);
  // Bigger models are slower on the same box.
  CHECK(plain["opt-6.7b"] > plain["opt-30b"]);
  CHECK(plain["opt-30b"] > plain["opt-175b"]);
}

struct Published {
  const char* model;
  std::array<double, 6> percent;
  int64_t gbs, k;
  AttentionPlace attention;
  Compression weight, cache;
  Overlap overlap;
  double measured;  // FlexGen's published total tokens/s
};

// FlexGen's benchmark suite policies for prompt 512, gen 32 (benchmark/flexgen/bench_suite.py).
const Published kPublished[] = {
    {"opt-6.7b", {100, 0, 100, 0, 100, 0}, 2, 1, AttentionPlace::kDevice, Compression::kNone,
     Compression::kNone, Overlap::kOff, 25.26},
    {"opt-6.7b", {100, 0, 100, 0, 100, 0}, 72, 1, AttentionPlace::kDevice, Compression::kQ4,
     Compression::kQ4, Overlap::kOff, 29.12},
    {"opt-30b", {20, 80, 0, 100, 0, 100}, 48, 3, AttentionPlace::kHost, Compression::kNone,
     Compression::kNone, Overlap::kOn, 7.32},
    {"opt-30b", {0, 100, 0, 100, 0, 100}, 64, 8, AttentionPlace::kDevice, Compression::kNone,
     Compression::kQ4, Overlap::kOn, 8.38},
    {"opt-175b", {0, 50, 0, 0, 0, 100}, 32, 8, AttentionPlace::kHost, Compression::kNone,
     Compression::kNone, Overlap::kOn, 0.69},
    {"opt-175b", {0, 100, 0, 100, 0, 100}, 48, 3, AttentionPlace::kDevice, Compression::kQ4,
     Compression::kQ4, Overlap::kOn, 1.12},
};

TEST_CASE("FlexGen's published T4 policies under this cost model", "[planner]") {
  for (const Published& f : kPublished) {
    const PlanInputs in = test::t4_inputs(f.model, 512, 32);
    Policy p;
    set_flexgen_percent(p, f.percent);
    p.gpu_batch_size = f.gbs;
    p.num_gpu_batches = f.k;
    p.attention = f.attention;
    p.compress_weight = f.weight;
    p.compress_cache = f.cache;
    p.overlap = f.overlap;
    const Prediction pred = predict(in, p);
    CHECK(pred.total_tokens_per_s > 0);
    std::cout << "=== FlexGen's " << f.model << " policy (published " << f.measured
              << " tokens/s measured) ===\n"
              << format_policy(p) << format_prediction(pred)
              << format_memory(memory_breakdown(in, p));
    for (const std::string& v : check_policy(in, p)) std::cout << "  does not fit: " << v << "\n";
    std::cout << std::endl;
  }
}

}  // namespace
}  // namespace strata
