// Policy YAML: exact round trip through a file, FlexGen's percent form, and errors that name the
// file, the line and the field.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "planner/policy_yaml.h"

namespace strata {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("strata_planner_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST_CASE("policy YAML round trip through a file is exact", "[planner]") {
  Policy p;
  p.gpu_batch_size = 48;
  p.num_gpu_batches = 3;
  p.weights = {0.2, 0.8, 0.0};
  p.cache = {0.0, 1.0 / 3.0, 2.0 / 3.0};  // not representable in short decimal
  p.activations = {0.0, 1.0, 0.0};
  p.attention = AttentionPlace::kHost;
  p.compress_weight = Compression::kQ4;
  p.compress_cache = Compression::kQ8;
  p.overlap = Overlap::kOff;
  const std::string path = temp_path("policy.yaml");
  write_policy_yaml(p, path);
  const Policy q = read_policy_yaml(path);
  std::filesystem::remove(path);
  CHECK(q.gpu_batch_size == 48);
  CHECK(q.num_gpu_batches == 3);
  CHECK(q.weights.device == p.weights.device);
  CHECK(q.cache.host == p.cache.host);
  CHECK(q.cache.disk == p.cache.disk);
  CHECK(q.attention == AttentionPlace::kHost);
  CHECK(q.compress_weight == Compression::kQ4);
  CHECK(q.compress_cache == Compression::kQ8);
  CHECK(q.overlap == Overlap::kOff);
  CHECK(policy_to_yaml(q) == policy_to_yaml(p));
  CHECK(policy_to_yaml(p).find("weights: {device: 0.2, host: 0.8, disk: 0}") != std::string::npos);
}

TEST_CASE("policy YAML accepts FlexGen percentages and defaults", "[planner]") {
  const Policy p = parse_policy_yaml(
      "gpu_batch_size: 32\nnum_gpu_batches: 8\npercent: [0, 50, 0, 0, 0, 100]\n"
      "cpu_attention: true\n");
  CHECK(p.weights.disk == Approx(0.5));
  CHECK(p.cache.disk == Approx(1.0));
  CHECK(p.attention == AttentionPlace::kHost);
  CHECK(p.overlap == Overlap::kOn);
  CHECK(p.compress_weight == Compression::kNone);
  // A tier left out of a placement is 0.
  const Policy q = parse_policy_yaml(
      "gpu_batch_size: 1\nnum_gpu_batches: 1\nweights: {host: 1}\ncache: {device: 1}\n"
      "activations: {device: 1}\n");
  CHECK(q.weights.host == 1.0);
  CHECK(q.weights.device == 0.0);
}

TEST_CASE("bad policy YAML names file, line and field", "[planner]") {
  const std::string head = "gpu_batch_size: 4\nnum_gpu_batches: 2\n";
  const std::string placements =
      "weights: {device: 1, host: 0, disk: 0}\ncache: {device: 1}\nactivations: {device: 1}\n";
  SECTION("unknown key") {
    CHECK_THROWS_WITH(parse_policy_yaml(head + placements + "gpu_batchsize: 4\n", "p.yaml"),
                      Catch::Contains("p.yaml") && Catch::Contains("unknown field 'gpu_batchsize'"));
  }
  SECTION("unknown key inside a placement") {
    CHECK_THROWS_WITH(parse_policy_yaml(head + "weights: {device: 1, gpu: 0}\n" +
                                            "cache: {device: 1}\nactivations: {device: 1}\n",
                                        "p.yaml"),
                      Catch::Contains("p.yaml:3") && Catch::Contains("'weights.gpu'"));
  }
  SECTION("wrong type") {
    CHECK_THROWS_WITH(parse_policy_yaml("gpu_batch_size: many\nnum_gpu_batches: 2\n" + placements,
                                        "p.yaml"),
                      Catch::Contains("p.yaml:1") && Catch::Contains("field gpu_batch_size") &&
                          Catch::Contains("'many'"));
    CHECK_THROWS_WITH(parse_policy_yaml(head + "weights: {device: lots}\n" +
                                            "cache: {device: 1}\nactivations: {device: 1}\n",
                                        "p.yaml"),
                      Catch::Contains("field weights.device") && Catch::Contains("number"));
    CHECK_THROWS_WITH(parse_policy_yaml(head + placements + "compress_weight: int3\n", "p.yaml"),
                      Catch::Contains("field compress_weight") && Catch::Contains("int3"));
    CHECK_THROWS_WITH(parse_policy_yaml(head + placements + "overlap: maybe\n", "p.yaml"),
                      Catch::Contains("field overlap") && Catch::Contains("true or false"));
  }
  SECTION("missing field") {
    CHECK_THROWS_WITH(parse_policy_yaml(head + "weights: {device: 1}\n", "p.yaml"),
                      Catch::Contains("p.yaml") && Catch::Contains("missing field cache"));
  }
  SECTION("invalid values name the file and the field") {
    CHECK_THROWS_WITH(parse_policy_yaml(head + "weights: {device: 0.5, host: 0.4}\n" +
                                            "cache: {device: 1}\nactivations: {device: 1}\n",
                                        "p.yaml"),
                      Catch::Contains("p.yaml") && Catch::Contains("weights fractions sum to 0.9"));
  }
  SECTION("percent and placements together") {
    CHECK_THROWS_WITH(parse_policy_yaml(head + placements + "percent: [100, 0, 100, 0, 100, 0]\n",
                                        "p.yaml"),
                      Catch::Contains("either percent"));
  }
  SECTION("syntax error has a line") {
    CHECK_THROWS_WITH(parse_policy_yaml("gpu_batch_size: 4\nweights: {device: 1\n", "p.yaml"),
                      Catch::Contains("p.yaml:") && Catch::Contains("YAML syntax error"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(read_policy_yaml("/nonexistent/policy.yaml"),
                      Catch::Contains("/nonexistent/policy.yaml") && Catch::Contains("cannot open"));
  }
}

}  // namespace
}  // namespace strata
