// How a command generates: the all-in-memory Generator over a Hugging Face directory, or — when
// an offloading flag is given or --model is a converted store — the offloading BlockGenerator
// (engine/generate/block_generator.h) over a store; a Hugging Face directory is then converted
// on first use into a cache folder (under --offload-dir, else $XDG_CACHE_HOME/strata), with
// progress. The policy is checked against the capacities before any weight is read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>

#include "cli/execution_flags.h"
#include "cli/plan/auto_policy.h"
#include "engine/backend/backend.h"
#include "engine/generate/block_generator.h"
#include "engine/models/opt/opt_model.h"

namespace strata::cli {

struct EngineRequest {
  std::filesystem::path model_dir;
  ExecutionFlags flags;
  int64_t batch_size = 1;   // --batch-size: the all-in-memory batch, the default gpu_batch_size
  int64_t prompt_len = 1;   // the workload's longest prompt (bos included)
  int64_t gen_len = 1;      // and the most tokens any request may generate
  BackendKind backend = BackendKind::cpu;
  std::ostream* log = nullptr;  // conversion progress and warnings; nullptr: quiet
  // --policy auto: the planner's policy for this request (plan_engine_request()); it replaces
  // the policy defaults, and the executor is held to the capacities it was planned for.
  std::optional<AutoPlan> plan;
  // Whether a plan that keeps everything on the device may run the all-in-memory Generator
  // (make_engine_request() and generate set it; bench always measures the executor).
  bool plan_may_run_in_memory = false;
};

struct GenerationEngine {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<OptModel> model;  // the all-in-memory path's weights
  std::unique_ptr<SequenceGenerator> generator;
  BlockGenerator* executor = nullptr;  // set when the offloading executor runs
  size_t batch_size = 1;               // sequences per generate() call (a block for the executor)
  // The executor's per-resource times and placed bytes, one line (nothing without executor).
  void print_report(std::ostream& out) const;
};

// The request for a workload: its longest prompt and the most tokens any sequence may generate.
EngineRequest make_engine_request(const std::filesystem::path& model_dir,
                                  const ExecutionFlags& flags, int64_t batch_size,
                                  std::span<const SequenceRequest> workload,
                                  const OptConfig& config, BackendKind backend, std::ostream* log);

// Whether the request runs the offloading executor: --model a store, the CUDA backend (the
// all-in-memory model computes on the CPU only), or a flag asking for it — unless it is
// --policy in-memory, or --policy auto planned everything onto the device with no
// policy flag given by hand and plan_may_run_in_memory (the all-in-memory Generator gives the
// same tokens without converting the model into a store).
bool uses_executor(const EngineRequest& request);

// --policy auto: plans the request's policy for `num_requests` requests (cli/plan/auto_policy.h)
// and checks the plan against the executor's own bytes; does nothing without --policy auto.
// make_engine_request() calls it with the workload's size.
void plan_engine_request(EngineRequest& request, std::optional<int64_t> num_requests);

// The executor's options for the request, checked against the capacities (as
// check_engine_request()); InputError with the numbers that do not fit.
ExecutorOptions engine_options(const EngineRequest& request);

// For the executor: resolves the policy and checks that it fits the capacities, reading only
// config.json and tensor headers. InputError with the numbers that do not fit.
void check_engine_request(const EngineRequest& request);

bool is_store_dir(const std::filesystem::path& dir);

// The store for `model_dir`: itself when it is a store (which must hold `quant`'s bits when one
// is asked for), else its conversion in the cache folder (made now when missing or stale),
// with the decoder weights quantized as `quant` (--compress-weight) in an entry of its own.
std::filesystem::path store_for(const std::filesystem::path& model_dir,
                                const std::filesystem::path& offload_dir, std::ostream* log,
                                const std::optional<TensorFormat>& quant = std::nullopt);

// Prints the plan's line on the request's log (--policy auto), then loads the model.
GenerationEngine make_generation_engine(const EngineRequest& request,
                                        const BpeTokenizer& tokenizer);

}  // namespace strata::cli
