// ExecutionFlags from the command line: run's default --policy auto, --policy in-memory and the
// flags it refuses, which flags count as policy flags, and FlexGen's bare --compress-weight /
// --compress-cache (q4) next to an explicit value.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/execution_flags.h"
#include "common/error.h"
#include "planner/policy.h"

namespace strata::cli {
namespace {

ExecutionFlags parse(std::vector<std::string> args, const char* policy_default = "") {
  CLI::App app("test");
  ExecutionFlags flags;
  add_execution_options(app, flags, policy_default);
  args.insert(args.begin(), "strata");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(int(argv.size()), argv.data());
  return flags;
}

TEST_CASE("run's default policy is auto; in-memory asks for no executor", "[cli]") {
  const ExecutionFlags run = parse({}, "auto");
  CHECK(run.policy_auto());
  CHECK(run.any());
  CHECK_FALSE(run.shapes_policy());
  const ExecutionFlags generate = parse({});
  CHECK(generate.policy.empty());
  CHECK_FALSE(generate.any());
  const ExecutionFlags in_memory = parse({"--policy", "in-memory", "--offload-dir", "/tmp"}, "auto");
  CHECK(in_memory.policy_in_memory());
  CHECK_FALSE(in_memory.any());
  CHECK_NOTHROW(check_in_memory_flags(in_memory));
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--gpu-batch-size", "2"})),
                    Catch::Contains("--policy in-memory"));
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--device-mem", "1GiB"})),
                    Catch::Contains("--policy in-memory"));
  CHECK_THROWS_AS(parse({"--policy", "sometimes"}), CLI::ValidationError);
  // The in-memory Generator compresses its KV cache too; it still checks the value.
  const ExecutionFlags compressed = parse({"--policy", "in-memory", "--compress-cache", "q8"});
  CHECK_NOTHROW(check_in_memory_flags(compressed));
  CHECK(compressed.shapes_policy());
  CHECK_FALSE(compressed.needs_executor());
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--compress-cache", "q3"})),
                    Catch::Contains("--compress-cache") && Catch::Contains("'q3'"));
  CHECK_THROWS_WITH(
      check_in_memory_flags(parse({"--policy", "in-memory", "--compress-weight", "q4"})),
      Catch::Contains("--policy in-memory"));
}

TEST_CASE("policy flags: what fixes the policy and what leaves it to the planner", "[cli]") {
  CHECK_FALSE(parse({"--offload-dir", "/tmp", "--device-mem", "1GiB"}, "auto").shapes_policy());
  CHECK(parse({"--no-overlap"}, "auto").shapes_policy());
  CHECK(parse({"--compress-cache", "q8"}, "auto").shapes_policy());
  const ExecutionFlags partial = parse({"--percent", "0", "100", "0", "100", "100", "0"});
  CHECK(partial.shapes_policy());
  CHECK_FALSE(partial.fixes_policy());
  CHECK(parse({"--percent", "0", "100", "0", "100", "100", "0", "--gpu-batch-size", "2",
               "--num-gpu-batches", "3"})
            .fixes_policy());
}

TEST_CASE("compression flags: bare means q4, a value is taken as given", "[cli]") {
  const ExecutionFlags bare = parse({"--compress-weight", "--compress-cache"});
  CHECK(bare.compress_weight == "q4");
  CHECK(bare.compress_cache == "q4");
  const ExecutionFlags valued = parse({"--compress-weight", "q8", "--compress-cache", "none"});
  CHECK(valued.compress_weight == "q8");
  CHECK(valued.compress_cache == "none");
  CHECK(parse({}).compress_weight.empty());  // not given: nothing compressed
  CHECK(parse_compression_flag(bare.compress_weight, "--compress-weight") == Compression::kQ4);
  CHECK_THROWS_WITH(parse_compression_flag("q5", "--compress-cache"),
                    Catch::Contains("--compress-cache") && Catch::Contains("'q5'"));
}

}  // namespace
}  // namespace strata::cli
