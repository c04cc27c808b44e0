// Where a batch job's results go: its output checked before any work (common/output_path.h),
// lines streamed in input order to stdout or a device, and the OUTPUT.meta.json sidecar that
// says what produced a finished output.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cli/job/batch_job.h"
#include "cli/job/job_metrics.h"
#include "common/output_path.h"

namespace strata::cli {

// One output line as written (invalid UTF-8 replaced, never an exception).
std::string dump_line(const nlohmann::ordered_json& line);

struct JobOutput {
  OutputPath path;
  bool to_stdout = false;
  bool journaled = true;
};

// Every output problem (a directory, a missing or read-only folder, an output naming an input
// or another output) is an InputError here, before the model loads. A job that reads stdin or
// writes stdout or a device cannot be journaled beside its output, so it cannot be resumed (nor
// sharded): it streams its lines in input order instead.
JobOutput check_output_paths(const BatchJobOptions& o);

// Writes finished lines to a streamed output (stdout, a device) as soon as every line before
// them is finished, so the stream is in input order.
class InOrderStream {
 public:
  explicit InOrderStream(std::ostream& out) : out_(out) {}
  void flush_ready(const std::map<int64_t, nlohmann::ordered_json>& lines);

 private:
  std::ostream& out_;
  int64_t next_ = 0;
};

// OUTPUT.meta.json: what produced a finished output — Strata's version, the job's identity (the
// journal header: input digest, model and its file identity, settings), the policy, the
// planner's prediction and the counts. A --resume of a job whose output is complete reads it
// and finishes at once instead of generating everything again.
std::filesystem::path meta_path(const std::filesystem::path& output_target);
void write_job_meta(const std::filesystem::path& output_target,
                    const nlohmann::ordered_json& header, const JobMetrics& metrics,
                    int64_t requests);
// The sidecar as a JSON object, or nullopt when it is missing or unreadable.
std::optional<nlohmann::ordered_json> read_job_meta(const std::filesystem::path& output_target);

}  // namespace strata::cli
