// --shard i/N: a deterministic slice of a job's requests, so N machines (a Slurm array, a
// Kubernetes Indexed Job) each run one slice and `strata merge` joins the outputs. Shard i takes
// the contiguous requests [i*M/N, (i+1)*M/N) of M, so the merge is a concatenation in shard order.
// Each shard's output gets a sidecar OUTPUT.shard.json naming its slice and the input's digest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strata::cli {

struct ShardSpec {
  int64_t index = 0;  // i, 0-based
  int64_t count = 1;  // N
  bool whole() const { return count == 1; }
  // Parses "i/N" with 0 <= i < N. Throws InputError naming --shard.
  static ShardSpec parse(const std::string& text);
  // The [begin, end) request indices of this shard among `total`.
  std::pair<int64_t, int64_t> slice(int64_t total) const {
    return {index * total / count, (index + 1) * total / count};
  }
};

struct ShardRecord {
  ShardSpec shard;
  std::string input_digest;
  int64_t first_request = 0;  // index of the shard's first request in the whole input
  int64_t requests = 0;       // lines in the shard's output
  int64_t total_requests = 0;
  // The settings that change results (sampling defaults, --strict): shards run with different
  // ones are not one job, and merge refuses them.
  nlohmann::json settings = nlohmann::json::object();

  static std::filesystem::path sidecar_of(const std::filesystem::path& output) {
    return output.string() + ".shard.json";
  }
  void write(const std::filesystem::path& output) const;
  static ShardRecord read(const std::filesystem::path& output);  // InputError naming the file
};

// Joins shard outputs (any order on the command line) into one file in input order; checks that
// every shard 0..N-1 of the same input and settings is present once and complete.
void merge_shards(const std::vector<std::filesystem::path>& shard_outputs,
                  const std::filesystem::path& merged);

}  // namespace strata::cli
