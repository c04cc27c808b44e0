// More memory on any tier never predicts lower throughput: every tier's capacity is swept upward
// with the others fixed, and the planned throughput must not drop (0 while infeasible).
#include <catch2/catch.hpp>

#include "common/error.h"
#include "planner/lp_planner.h"
#include "planner/policy_check.h"
#include "tests/planner/planner_test_util.h"

namespace strata {
namespace {

double planned_throughput(const PlanInputs& in, Compression compression) {
  PlannerOptions options;
  options.compress_weight = options.compress_cache = compression;
  try {
    const Plan plan = plan_policy(in, options);
    CHECK(check_policy(in, plan.policy).empty());
    return plan.prediction.total_tokens_per_s;
  } catch (const InputError&) {
    return 0.0;
  }
}

void sweep(const std::string& model, Tier tier, Compression compression,
           std::initializer_list<double> gib) {
  double previous = 0.0;
  for (double g : gib) {
    PlanInputs in = test::sized_inputs(model, 6, 48, 400);
    double& cap = tier == Tier::kDevice ? in.hardware.device_capacity_bytes
                  : tier == Tier::kHost ? in.hardware.host_capacity_bytes
                                        : in.hardware.disk_capacity_bytes;
    cap = g * test::kGiB;
    const double t = planned_throughput(in, compression);
    INFO(model << " " << to_string(tier) << " " << g << " GiB: " << t << " tokens/s, before "
               << previous);
    CHECK(t >= previous * (1 - 1e-6));
    previous = t;
  }
  CHECK(previous > 0);
}

TEST_CASE("more device memory never predicts lower throughput", "[planner]") {
  for (Compression c : {Compression::kNone, Compression::kQ4}) {
    sweep("opt-13b", Tier::kDevice, c, {0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48});
  }
}

TEST_CASE("more host memory never predicts lower throughput", "[planner]") {
  for (Compression c : {Compression::kNone, Compression::kQ4}) {
    sweep("opt-13b", Tier::kHost, c, {0.001, 0.01, 0.1, 0.5, 1, 2, 4, 8, 16, 32, 64, 128});
  }
}

TEST_CASE("more disk never predicts lower throughput", "[planner]") {
  for (Compression c : {Compression::kNone, Compression::kQ4}) {
    sweep("opt-30b", Tier::kDisk, c, {1, 8, 16, 32, 64, 128, 256, 512, 1024});
  }
}

}  // namespace
}  // namespace strata
