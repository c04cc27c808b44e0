// Policy validation messages and FlexGen's six percentages.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/policy.h"

namespace strata {
namespace {

TEST_CASE("default policy is valid: everything on the device", "[planner]") {
  const Policy p;
  CHECK_NOTHROW(validate(p));
  CHECK(p.block_size() == 1);
}

TEST_CASE("policy validation names the field", "[planner]") {
  Policy p;
  p.gpu_batch_size = 0;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("gpu_batch_size = 0"));
  p = Policy{};
  p.num_gpu_batches = -2;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("num_gpu_batches = -2"));
  p = Policy{};
  p.cache = {0.5, 0.4, 0.0};
  CHECK_THROWS_AS(validate(p), InputError);
  CHECK_THROWS_WITH(validate(p), Catch::Contains("cache fractions sum to 0.9"));
  p = Policy{};
  p.weights = {1.2, -0.2, 0.0};
  CHECK_THROWS_WITH(validate(p), Catch::Contains("weights.device = 1.2"));
  p = Policy{};
  p.activations = {1.0 + 5e-7, 0.0, 0.0};  // within 1e-6 of summing to 1 but above 1
  CHECK_THROWS_WITH(validate(p), Catch::Contains("activations.device"));
  p = Policy{};
  p.weights = {0.3, 0.3, 0.4 + 5e-7};  // sums to 1 within 1e-6
  CHECK_NOTHROW(validate(p));
}

TEST_CASE("cpu_attention needs the KV cache off the device", "[planner]") {
  Policy p;
  p.attention = AttentionPlace::kHost;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("cpu_attention") && Catch::Contains("cache"));
  p.cache = {0.0, 0.7, 0.3};
  CHECK_NOTHROW(validate(p));
}

TEST_CASE("FlexGen percentages map onto the placements", "[planner]") {
  Policy p;
  set_flexgen_percent(p, {20, 80, 0, 100, 0, 100});  // FlexGen's OPT-30B policy
  CHECK(p.weights.device == Approx(0.2));
  CHECK(p.weights.host == Approx(0.8));
  CHECK(p.weights.disk == Approx(0.0).margin(1e-12));
  CHECK(p.cache.host == Approx(1.0));
  CHECK(p.activations.host == Approx(1.0));
  set_flexgen_percent(p, {0, 50, 0, 0, 0, 100});  // OPT-175B: half the weights on disk
  CHECK(p.weights.disk == Approx(0.5));
  CHECK(p.cache.disk == Approx(1.0));
  CHECK_NOTHROW(validate(p));
  const std::array<double, 6> back = flexgen_percent(p);
  CHECK(back[1] == Approx(50));
  CHECK(back[5] == Approx(100));
  CHECK_THROWS_WITH(set_flexgen_percent(p, {60, 50, 0, 0, 0, 0}),
                    Catch::Contains("W_DEV + W_HOST = 110"));
  CHECK_THROWS_WITH(set_flexgen_percent(p, {0, 0, -1, 0, 0, 0}), Catch::Contains("C_DEV = -1"));
}

TEST_CASE("compression names", "[planner]") {
  CHECK(parse_compression("q4") == Compression::kQ4);
  CHECK(parse_compression("none") == Compression::kNone);
  CHECK_THROWS_WITH(parse_compression("int4"), Catch::Contains("'int4'") &&
                                                   Catch::Contains("q8"));
}

}  // namespace
}  // namespace strata
