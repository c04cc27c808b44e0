// Request: one line of a JSONL job, validated. Only "prompt" is required; absent options take
// the command-line defaults. Input format (one JSON object per line, blank lines skipped):
//   {"id", "prompt", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed"}
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

struct Request {
  int64_t line = 0;            // 1-based line in the input file
  nlohmann::json id;           // echoed as given (string or number); "line-N" when absent
  std::string prompt;
  std::optional<int64_t> max_tokens;
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int32_t> top_k;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
};

// Parses one line (already known not to be blank). Throws InputError "FILE:LINE: ...".
Request parse_request(const std::string& text, const std::string& file, int64_t line);

// Reads and validates every line of a JSONL file. Throws InputError on the first bad line, or
// when the file has no request at all.
std::vector<Request> read_requests(const std::filesystem::path& path);

}  // namespace strata::cli
