// The figures of a finished batch job: the summary line on stderr and the --metrics JSON file.
// Throughputs follow FlexGen's definitions: prefill = prompt tokens / prefill time, decode =
// tokens after each sequence's first / decode time, total = generated tokens / (prefill + decode).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/executor/executor_report.h"
#include "engine/generate/generator.h"

namespace strata::cli {

struct JobMetrics {
  int64_t requests = 0;          // lines in this run's output
  int64_t resumed = 0;           // of which found finished in the journal
  int64_t failed = 0;            // error lines (OpenAI files without --strict)
  int64_t sequences = 0;         // generated at least one token in this run (decode throughput)
  GenerationStats stats;
  double wall_seconds = 0.0;
  std::optional<ExecutorReport> executor;  // when anything lived off the device
  // What ran: the job's identity (the journal header: input digest, model and its file
  // identity, sampling defaults, compression), the policy and the planner's prediction.
  nlohmann::ordered_json job = nullptr;
  std::string output_digest;  // of the finished output's bytes (cli/job/file_digest.h)
  nlohmann::ordered_json policy = nullptr;              // the policy run (cli/report_json.h)
  nlohmann::ordered_json planner_prediction = nullptr;  // the cost model's, under --policy auto

  nlohmann::ordered_json to_json() const;
  std::string summary_line() const;  // one line for stderr
  void write(const std::filesystem::path& path) const;
};

}  // namespace strata::cli
