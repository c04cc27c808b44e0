#include "cli/job/shard.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_guard.h"
#include "common/output_path.h"

namespace strata::cli {
namespace {

// "defaults.seed 4 vs 0": the settings where `a` differs from `b`, for merge's refusal.
std::string differences(const nlohmann::json& a, const nlohmann::json& b,
                        const std::string& prefix = "") {
  std::string out;
  for (const auto& [key, value] : a.items()) {
    const nlohmann::json other = b.contains(key) ? b[key] : nlohmann::json();
    if (value == other) continue;
    const std::string part = value.is_object() && other.is_object()
                                 ? differences(value, other, prefix + key + ".")
                                 : prefix + key + " " + value.dump() + " vs " + other.dump();
    out += (out.empty() ? "" : ", ") + part;
  }
  return out;
}

}  // namespace

ShardSpec ShardSpec::parse(const std::string& text) {
  const size_t slash = text.find('/');
  ShardSpec s;
  const auto parse_int = [&](std::string_view part, int64_t& out) {
    const auto r = std::from_chars(part.data(), part.data() + part.size(), out);
    return r.ec == std::errc() && r.ptr == part.data() + part.size();
  };
  const std::string_view view(text);
  const bool ok = slash != std::string::npos && parse_int(view.substr(0, slash), s.index) &&
                  parse_int(view.substr(slash + 1), s.count) && s.count >= 1 && s.index >= 0 &&
                  s.index < s.count;
  STRATA_CHECK_INPUT(ok, "--shard: expected i/N with 0 <= i < N (e.g. 0/4), got '", text, "'");
  return s;
}

void ShardRecord::write(const std::filesystem::path& output) const {
  AtomicFile file(sidecar_of(output));
  file.stream() << nlohmann::ordered_json{{"shard", shard.index},
                                          {"of", shard.count},
                                          {"input_digest", input_digest},
                                          {"first_request", first_request},
                                          {"requests", requests},
                                          {"total_requests", total_requests},
                                          {"settings", settings}}
                       .dump()
                << "\n";
  file.commit();
}

ShardRecord ShardRecord::read(const std::filesystem::path& output) {
  const auto path = sidecar_of(output);
  std::ifstream in(path);
  STRATA_CHECK_INPUT(in.good(), path.string(), ": missing (is ", output.string(),
                     " the output of a strata run --shard i/N?)");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  check_json_depth(text, path.string());
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ShardRecord r;
  for (const char* field : {"shard", "of", "first_request", "requests", "total_requests"}) {
    STRATA_CHECK_INPUT(j.is_object() && j.contains(field) && j[field].is_number_integer(),
                       path.string(), ": field '", field, "' is missing or not an integer");
  }
  STRATA_CHECK_INPUT(j.contains("input_digest") && j["input_digest"].is_string(), path.string(),
                     ": field 'input_digest' is missing");
  r.shard = {j["shard"].get<int64_t>(), j["of"].get<int64_t>()};
  r.input_digest = j["input_digest"].get<std::string>();
  r.first_request = j["first_request"].get<int64_t>();
  r.requests = j["requests"].get<int64_t>();
  r.total_requests = j["total_requests"].get<int64_t>();
  STRATA_CHECK_INPUT(j.contains("settings") && j["settings"].is_object(), path.string(),
                     ": field 'settings' is missing");
  r.settings = j["settings"];
  return r;
}

void merge_shards(const std::vector<std::filesystem::path>& outputs,
                  const std::filesystem::path& merged) {
  STRATA_CHECK_INPUT(!outputs.empty(), "merge: no shard outputs given");
  // Neither a shard output nor its sidecar may be overwritten, whatever the spelling.
  resolve_output(merged, "--output");
  std::vector<NamedPath> inputs;
  for (const auto& out : outputs) {
    inputs.push_back({"shard output", out});
    inputs.push_back({"shard sidecar", ShardRecord::sidecar_of(out)});
  }
  refuse_shared_paths({{"--output", merged}}, inputs);
  std::vector<std::pair<ShardRecord, std::filesystem::path>> shards;
  for (const auto& out : outputs) shards.emplace_back(ShardRecord::read(out), out);
  std::sort(shards.begin(), shards.end(), [](const auto& a, const auto& b) {
    return a.first.shard.index < b.first.shard.index;
  });
  const ShardRecord& first = shards.front().first;
  const int64_t n = first.shard.count;
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto& [rec, path] = shards[i];
    STRATA_CHECK_INPUT(rec.shard.count == n, path.string(), ": shard ", rec.shard.index, "/",
                       rec.shard.count, " of a job split ", rec.shard.count, " ways, but ",
                       shards.front().second.string(), " is shard ", first.shard.index, "/", n);
    STRATA_CHECK_INPUT(rec.input_digest == first.input_digest, path.string(),
                       ": shard of another input (digest ", rec.input_digest, ") than ",
                       shards.front().second.string(), " (digest ", first.input_digest, ")");
    STRATA_CHECK_INPUT(rec.settings == first.settings, path.string(), ": shard run with other "
                       "settings than ", shards.front().second.string(), ": ",
                       differences(rec.settings, first.settings));
    STRATA_CHECK_INPUT(i == 0 || rec.shard.index != shards[i - 1].first.shard.index,
                       path.string(), ": shard ", rec.shard.index, "/", n, " given twice");
  }
  for (int64_t i = 0, k = 0; i < n; ++i) {
    STRATA_CHECK_INPUT(k < int64_t(shards.size()) && shards[size_t(k)].first.shard.index == i,
                       "merge: shard ", i, "/", n, " is missing");
    ++k;
  }
  AtomicFile file(merged, "--output");
  for (const auto& [rec, path] : shards) {
    std::ifstream in(path, std::ios::binary);
    STRATA_CHECK_INPUT(in.good(), path.string(), ": cannot open");
    std::string line;
    int64_t lines = 0;
    while (std::getline(in, line)) {
      file.stream() << line << "\n";
      ++lines;
    }
    STRATA_CHECK_INPUT(lines == rec.requests, path.string(), ": ", lines, " lines, but shard ",
                       rec.shard.index, "/", n, " finished ", rec.requests, " requests");
  }
  file.commit();
}

}  // namespace strata::cli
