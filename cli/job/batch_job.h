// The batch job behind `strata run`: read and validate every request, load the model, bucket
// requests by prompt length into micro-batches, generate, and write one output line per input
// line, in input order, atomically (the output appears only when complete).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include "engine/backend/backend_kind.h"
#include "engine/generate/generator.h"

namespace strata::cli {

// Request fields override these command-line defaults.
struct RequestDefaults {
  int64_t max_new_tokens = 64;
  float temperature = 0.0f;
  float top_p = 1.0f;
  int32_t top_k = 0;
  uint64_t seed = 0;  // a request without "seed" gets one derived from this and its line number
};

struct BatchJobOptions {
  std::filesystem::path model_dir;
  std::filesystem::path input;
  std::filesystem::path output;
  RequestDefaults defaults;
  int64_t batch_size = 8;
  BackendRequest backend = BackendRequest::automatic;
  bool quiet = false;
};

struct BatchJobSummary {
  int64_t requests = 0;
  GenerationStats stats;
  double seconds = 0.0;
};

BatchJobSummary run_batch_job(const BatchJobOptions& options, std::ostream& log);

}  // namespace strata::cli
