// The LP planner on hand-checkable machines, its error messages, the independent re-check of
// every LP solution, and optimality against random feasible placements.
#include <catch2/catch.hpp>

#include <random>

#include "common/error.h"
#include "planner/lp_planner.h"
#include "planner/plan_report.h"
#include "planner/policy_check.h"
#include "tests/planner/planner_test_util.h"

namespace strata {
namespace {

using test::sized_inputs;

// Plans with every LP solution re-checked by policy_check.
Plan checked_plan(const PlanInputs& in, PlannerOptions options = {}) {
  int64_t solutions = 0;
  options.on_solution = [&](const Policy& policy, const Prediction& pred) {
    ++solutions;
    INFO(format_policy(policy));
    CHECK(check_policy(in, policy).empty());
    CHECK(pred.total_tokens_per_s > 0);
  };
  const Plan plan = plan_policy(in, options);
  CHECK(solutions > 0);
  CHECK(check_policy(in, plan.policy).empty());
  CHECK(plan.search_seconds < 1.0);
  return plan;
}

TEST_CASE("everything fits on the device: all on the device", "[planner]") {
  PlanInputs in = sized_inputs("opt-125m", 64, 64, 64);
  in.workload.num_requests = 64;
  const Plan plan = checked_plan(in);
  INFO(format_plan(plan, in));
  CHECK(plan.policy.weights.device == Approx(1.0));
  CHECK(plan.policy.cache.device == Approx(1.0));
  CHECK(plan.policy.activations.device == Approx(1.0));
  CHECK(plan.policy.attention == AttentionPlace::kDevice);
  CHECK(plan.policy.block_size() <= 64);
  CHECK(plan.memory.peak(Tier::kHost).total() == 0);
}

TEST_CASE("tiny device memory: weights go to the host", "[planner]") {
  // opt-1.3b has 2.45 GiB of fp16 weights; the device holds 1 GiB, the host plenty.
  const PlanInputs in = sized_inputs("opt-1.3b", 1, 64, 100);
  const Plan plan = checked_plan(in);
  INFO(format_plan(plan, in));
  CHECK(plan.policy.weights.device < 0.5);
  CHECK(plan.policy.weights.host > 0.5);
  CHECK(plan.policy.weights.disk == Approx(0.0).margin(1e-9));
}

TEST_CASE("host too small: weights go to disk", "[planner]") {
  const PlanInputs in = sized_inputs("opt-1.3b", 1, 1.5, 100);
  const Plan plan = checked_plan(in);
  INFO(format_plan(plan, in));
  CHECK(plan.policy.weights.disk > 0.1);
  CHECK(plan.memory.peak(Tier::kDisk).weights > 0);
}

TEST_CASE("compression moves data toward the device", "[planner]") {
  const PlanInputs in = sized_inputs("opt-1.3b", 2, 64, 100);
  Policy config;
  config.gpu_batch_size = 4;
  const std::optional<Policy> plain = solve_placement(in, config);
  config.compress_weight = config.compress_cache = Compression::kQ4;
  const std::optional<Policy> q4 = solve_placement(in, config);
  REQUIRE(plain);
  REQUIRE(q4);
  CHECK(plain->weights.device < 0.8);  // 2.45 GiB of weights cannot sit in 2 GiB
  CHECK(q4->weights.device == Approx(1.0));  // 0.7 GiB compressed can
  CHECK(check_policy(in, *plain).empty());
  CHECK(check_policy(in, *q4).empty());

  PlannerOptions options;
  const Plan searched_plain = checked_plan(in, options);
  options.compress_weight = options.compress_cache = Compression::kQ4;
  const Plan searched_q4 = checked_plan(in, options);
  CHECK(searched_q4.policy.weights.device > searched_plain.policy.weights.device);
}

TEST_CASE("impossible capacities name the tier and the shortfall", "[planner]") {
  SECTION("all tiers together too small") {
    const PlanInputs in = sized_inputs("opt-175b", 15, 10, 5);
    CHECK_THROWS_AS(plan_policy(in), InputError);
    CHECK_THROWS_WITH(plan_policy(in), Catch::Contains("opt-175b") &&
                                           Catch::Contains("device+host+disk") &&
                                           Catch::Contains("have 30.0 GiB") &&
                                           Catch::Contains("short by"));
  }
  SECTION("device below one layer's working set") {
    const PlanInputs in = sized_inputs("opt-30b", 0.5, 200, 1000);
    CHECK_THROWS_WITH(plan_policy(in), Catch::Contains("of device memory") &&
                                           Catch::Contains("have 512.0 MiB") &&
                                           Catch::Contains("short by"));
  }
  SECTION("host cannot stage the disk-resident weights") {
    const PlanInputs in = sized_inputs("opt-1.3b", 1, 0.01, 100);
    CHECK_THROWS_WITH(plan_policy(in), Catch::Contains("more host memory"));
  }
  SECTION("bad workload") {
    PlanInputs in = sized_inputs("opt-125m", 1, 1, 1, 2000, 100);
    CHECK_THROWS_WITH(plan_policy(in), Catch::Contains("prompt_len + gen_len = 2100") &&
                                           Catch::Contains("max_positions 2048"));
  }
}

TEST_CASE("the LP optimum beats random feasible placements", "[planner]") {
  const PlanInputs in = sized_inputs("opt-13b", 8, 24, 200);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (AttentionPlace place : {AttentionPlace::kDevice, AttentionPlace::kHost}) {
    Policy config;
    config.gpu_batch_size = 8;
    config.num_gpu_batches = 4;
    config.attention = place;
    const std::optional<Policy> best = solve_placement(in, config);
    REQUIRE(best);
    REQUIRE(check_policy(in, *best).empty());
    const double best_time = predict(in, *best).seconds_per_token;
    int feasible = 0;
    for (int trial = 0; trial < 3000; ++trial) {
      Policy p = config;
      for (DataKind kind : {DataKind::kWeights, DataKind::kCache, DataKind::kActivations}) {
        const bool device_ok = !(kind == DataKind::kCache && place == AttentionPlace::kHost);
        const double a = device_ok ? u(rng) : 0.0, b = u(rng), c = u(rng) * u(rng);
        placement(p, kind) = Placement{a / (a + b + c), b / (a + b + c), c / (a + b + c)};
      }
      if (!check_policy(in, p).empty()) continue;
      ++feasible;
      CHECK(predict(in, p).seconds_per_token >= best_time * (1 - 1e-6));
    }
    CHECK(feasible > 20);
  }
}

TEST_CASE("num_requests caps the block", "[planner]") {
  PlanInputs in = sized_inputs("opt-125m", 64, 64, 64, 128, 16);
  in.workload.num_requests = 10;
  const Plan plan = checked_plan(in);
  CHECK(plan.policy.block_size() <= 10);
}

TEST_CASE("fixed attention place and no overlap are honoured", "[planner]") {
  const PlanInputs in = sized_inputs("opt-6.7b", 8, 64, 200);
  PlannerOptions options;
  options.attention = AttentionChoice::kHost;
  options.overlap = Overlap::kOff;
  const Plan plan = checked_plan(in, options);
  CHECK(plan.policy.attention == AttentionPlace::kHost);
  CHECK(plan.policy.overlap == Overlap::kOff);
  CHECK(plan.policy.cache.device == 0.0);
  const Plan overlapped = checked_plan(in);
  CHECK(overlapped.prediction.total_tokens_per_s >= plan.prediction.total_tokens_per_s);
}

}  // namespace
}  // namespace strata
