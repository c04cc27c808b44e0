// ExecutionFlags from the command line and the runtime's PolicyRequest they make: run's default
// --policy auto, --policy in-memory (all on the device) and the flags it refuses, which flags fix
// part of the policy, and FlexGen's bare --compress-weight / --compress-cache (q4) next to an
// explicit value.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/execution_flags.h"
#include "common/error.h"
#include "common/policy.h"

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

// Whether a flag given by hand fixes part of the policy (a policy file does not count).
bool fixes_part(const ExecutionFlags& f) {
  const PolicyRequest r = policy_request(f, 1);
  return r.placements || r.gpu_batch_size || r.num_gpu_batches || r.attention || r.overlap ||
         r.compress_weight || r.compress_cache;
}

PolicyRequest::Source source(const ExecutionFlags& f) { return policy_request(f, 1).source; }

TEST_CASE("run's default policy is auto and in-memory keeps everything on the device", "[cli]") {
  const ExecutionFlags run = parse({}, "auto");
  CHECK(run.policy_auto());
  CHECK(source(run) == PolicyRequest::Source::plan);
  CHECK_FALSE(fixes_part(run));
  const ExecutionFlags generate = parse({});
  CHECK(generate.policy.empty());
  CHECK(source(generate) == PolicyRequest::Source::all_on_device);
  const ExecutionFlags in_memory = parse({"--policy", "in-memory", "--offload-dir", "/tmp"}, "auto");
  CHECK(in_memory.policy_in_memory());
  CHECK(source(in_memory) == PolicyRequest::Source::all_on_device);
  CHECK_NOTHROW(check_in_memory_flags(in_memory));
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--gpu-batch-size", "2"})),
                    Catch::Contains("--policy in-memory"));
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--device-mem", "1GiB"})),
                    Catch::Contains("--policy in-memory"));
  CHECK_THROWS_AS(parse({"--policy", "sometimes"}), CLI::ValidationError);
  // An all-on-device KV cache compresses too; the value is still checked.
  const ExecutionFlags compressed = parse({"--policy", "in-memory", "--compress-cache", "q8"});
  CHECK_NOTHROW(check_in_memory_flags(compressed));
  CHECK(fixes_part(compressed));
  CHECK_FALSE(compressed.needs_executor());
  CHECK_THROWS_WITH(check_in_memory_flags(parse({"--policy", "in-memory", "--compress-cache", "q3"})),
                    Catch::Contains("--compress-cache") && Catch::Contains("'q3'"));
  CHECK_THROWS_WITH(
      check_in_memory_flags(parse({"--policy", "in-memory", "--compress-weight", "q4"})),
      Catch::Contains("--policy in-memory"));
}

TEST_CASE("policy flags: what fixes the policy and what leaves it to the planner", "[cli]") {
  CHECK_FALSE(fixes_part(parse({"--offload-dir", "/tmp", "--device-mem", "1GiB"}, "auto")));
  CHECK(fixes_part(parse({"--no-overlap"}, "auto")));
  CHECK(fixes_part(parse({"--compress-cache", "q8"}, "auto")));
  const ExecutionFlags partial = parse({"--percent", "0", "100", "0", "100", "100", "0"});
  CHECK(fixes_part(partial));
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
