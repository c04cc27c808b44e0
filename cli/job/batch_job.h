// The batch job behind `strata run`: read and validate every request, load the model, bucket
// the requests' sequences (one per choice, cli/job/request_sequences.h) by prompt length into
// micro-batches, generate, journal each request's line once all its choices are finished, and
// write one output line per input line, in input order, atomically (the output appears only
// when complete).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include "engine/backend/backend_kind.h"
#include "cli/execution_flags.h"  // issue 3
#include "cli/job/job_metrics.h"
#include "cli/job/request_sequences.h"  // RequestDefaults
#include "engine/generate/generator.h"

namespace strata::cli {

struct BatchJobOptions {
  std::filesystem::path model_dir;
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path metrics;  // empty: no metrics file
  std::filesystem::path chat_template;  // empty: the model's own (tokenizer_config.json)
  RequestDefaults defaults;
  int64_t batch_size = 8;
  BackendRequest backend = BackendRequest::automatic;
  std::string shard;              // i/N; empty: the whole job (no OUTPUT.shard.json)
  bool resume = false;
  bool strict = false;            // OpenAI files: a bad line fails the job instead of one line
  bool quiet = false;
  ExecutionFlags execution;       // issue 3: offloading executor flags (cli/execution_flags.h)
};

// Runs the job; the journal (OUTPUT.journal) records finished requests as they finish, and a
// run with `resume` continues an interrupted one. Throws Interrupted after saving the work when
// Ctrl-C or SIGTERM arrives (with a line on `log` saying how to resume).
JobMetrics run_batch_job(const BatchJobOptions& options, std::ostream& log);

}  // namespace strata::cli
