#include "cli/job/job_output.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_guard.h"

namespace strata::cli {

std::string dump_line(const nlohmann::ordered_json& line) {
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

JobOutput check_output_paths(const BatchJobOptions& o) {
  JobOutput out;
  out.to_stdout = o.output == "-";
  out.path = out.to_stdout ? OutputPath{"-", "-", true} : resolve_output(o.output, "--output");
  if (!o.metrics.empty()) resolve_output(o.metrics, "--metrics");
  refuse_shared_paths({{"--output", o.output}, {"--metrics", o.metrics}},
                      {{"--input", o.input}, {"--chat-template", o.chat_template}});
  out.journaled = !out.path.in_place && o.input != "-";
  if (!out.journaled) {
    const std::string why = o.input == "-" ? "--input - (stdin)"
                                           : "--output " + o.output.string() + " (not a file)";
    STRATA_CHECK_INPUT(!o.resume, "--resume: a job with ", why, " keeps no journal and cannot "
                       "be resumed; write the output to a file");
    STRATA_CHECK_INPUT(o.shard.empty(), "--shard: a job with ", why, " cannot be a shard; "
                       "write the output to a file (its OUTPUT.shard.json goes beside it)");
  }
  return out;
}

void InOrderStream::flush_ready(const std::map<int64_t, nlohmann::ordered_json>& lines) {
  for (auto it = lines.find(next_); it != lines.end() && it->first == next_; ++it, ++next_) {
    out_ << dump_line(it->second) << "\n";
  }
  out_.flush();
  if (!out_.good()) throw Error(str_cat("--output: write failed (", std::strerror(errno), ")"));
}

std::filesystem::path meta_path(const std::filesystem::path& output_target) {
  return output_target.string() + ".meta.json";
}

void write_job_meta(const std::filesystem::path& output_target,
                    const nlohmann::ordered_json& header, const JobMetrics& metrics,
                    int64_t requests) {
  const nlohmann::ordered_json meta = {
      {"strata_version", STRATA_VERSION},
      {"job", header},
      {"requests", requests},
      {"failed_requests", metrics.failed},
      {"output_digest", metrics.output_digest},
      {"policy", metrics.policy},
      {"planner_prediction", metrics.planner_prediction},
      {"finished_at_unix", std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count()}};
  AtomicFile file(meta_path(output_target));
  file.stream() << meta.dump(2) << "\n";
  file.commit();
}

std::optional<nlohmann::ordered_json> read_job_meta(const std::filesystem::path& output_target) {
  std::ifstream in(meta_path(output_target));
  if (!in.good()) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (json_nesting_exceeds(text)) return std::nullopt;
  auto meta = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object()) return std::nullopt;
  return meta;
}

}  // namespace strata::cli
