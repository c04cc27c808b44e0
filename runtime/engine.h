// The one engine: the offloading executor (engine/generate/block_generator.h) over the model's
// weights wherever the policy homes them — an all-on-device policy is a policy like any other.
// Weights are read straight from the Hugging Face checkpoint unless rows live on disk or are
// quantized, which needs a converted store (made once, cached). The policy is checked against
// the capacities once, before any journal is opened or weight read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>

#include "engine/backend/backend.h"
#include "engine/generate/block_generator.h"
#include "runtime/model_source.h"

namespace strata {

struct EngineSettings {
  ExecutorOptions options;               // resolved policy, capacities, offload dir, warnings
  BackendKind backend = BackendKind::cpu;
  int cpu_threads = 0;                   // --threads: CPU compute threads; 0: every core
  std::filesystem::path store_cache;     // where HF directories are converted when needed
  std::ostream* log = nullptr;           // conversion progress; nullptr: quiet
  int64_t prompt_len = 1;                // the workload's longest prompt (bos included)
  int64_t gen_len = 1;                   // and the most tokens any request may generate
};

// The capacity check: the bytes the executor will place on each tier for the worst block,
// against the capacities. InputError "policy does not fit: ..." with the numbers.
void check_capacity(const ModelSource& source, const EngineSettings& settings);

struct Engine {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<BlockGenerator> generator;
  bool reads_checkpoint = false;  // no store: weights read from the HF checkpoint
  size_t batch_size() const { return size_t(generator->block_size()); }
};

// Builds the engine (its weight source taken from `source`, which is spent). Call
// check_capacity first.
Engine build_engine(ModelSource& source, const EngineSettings& settings);

}  // namespace strata
