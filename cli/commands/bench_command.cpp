// strata bench: one block of synthetic requests (prompt_len random tokens each, gen_len greedy
// tokens) through the offloading executor, reported as FlexGen does: prefill, decode and total
// throughput (total = generated tokens / (prefill + decode time)), each next to the cost model's
// prediction for the policy that ran and the gap in %, then one JSON line with the same figures,
// the policy, per-resource times and the bytes placed on each tier. Every figure is measured on
// a full run (none is projected). The policy is the planner's (--policy auto, the default) for
// this machine's cached profile; flags given by hand win over it.
#include <chrono>
#include <iomanip>
#include <sstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/execution_flags.h"
#include "cli/flag_checks.h"
#include "cli/plan/plan_options.h"
#include "cli/report_json.h"
#include "cli/run_request.h"
#include "common/error.h"
#include "engine/models/model_family.h"
#include "planner/hardware_profile_yaml.h"
#include "runtime/dummy_store.h"
#include "runtime/model_source.h"

namespace strata::cli {
namespace {

struct BenchFlags {
  std::filesystem::path model;
  std::string dummy;
  int64_t prompt_len = 512;
  int64_t gen_len = 32;
  uint64_t seed = 0;
  int64_t num_requests = 256;  // --policy auto: the most sequences a planned block may hold
  ExecutionFlags execution;
  std::string backend = "auto";  // as every command: the CPU until the CUDA path is validated
  bool quiet = false;
};

nlohmann::ordered_json tier_json(const TierUsage& u) {
  return {{"weights", u.weights}, {"cache", u.cache}, {"activations", u.activations},
          {"buffers", u.buffers}, {"total", u.total()}};
}

// measured / predicted - 1, in %; null when there is no prediction to compare with.
nlohmann::ordered_json gap_percent(double measured, double predicted) {
  if (!(predicted > 0)) return nullptr;
  return 100.0 * (measured / predicted - 1.0);
}

std::string vs_prediction(double measured, double predicted) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << "; predicted " << predicted << " token/s";
  if (predicted > 0) {
    out << std::showpos << std::setprecision(1) << " (" << 100.0 * (measured / predicted - 1.0)
        << "%)";
  }
  return out.str();
}

// Host→device bytes per second the run achieved (bytes over the copy worker's busy time) and
// the profile's figure for it, or 0 where unknown.
struct CopyRates {
  double achieved = 0, profiled = 0;
};
CopyRates h2d_rates(const ExecutorReport& r, const std::filesystem::path& profile) {
  CopyRates c;
  if (r.times.copy_h2d > 0) c.achieved = double(r.bytes.h2d) / r.times.copy_h2d;
  std::error_code ec;
  if (std::filesystem::exists(profile, ec)) {
    c.profiled = read_hardware_profile_yaml(profile.string()).host_to_device_bytes_per_s;
  }
  return c;
}

int run_bench(BenchFlags& f) {
  STRATA_CHECK_INPUT(f.model.empty() != f.dummy.empty(), "bench: give --model DIR or --dummy NAME");
  STRATA_CHECK_INPUT(f.prompt_len >= 1 && f.gen_len >= 1, "bench: --prompt-len and --gen-len "
                     "must be at least 1");
  std::ostream* log = f.quiet ? nullptr : &std::cerr;
  const BackendChoice choice = choose_backend(parse_backend_request(f.backend));
  STRATA_CHECK_INPUT(f.num_requests >= 1, "bench: --num-requests must be at least 1");
  // The planner by default; flags given by hand win over its plan.
  if (f.execution.policy.empty()) f.execution.policy = "auto";
  const std::filesystem::path model =
      f.dummy.empty() ? f.model : dummy_store(f.dummy, f.execution.offload_dir, log);
  ModelSource source = ModelSource::open(model);
  const ModelConfig& config = source.config();
  STRATA_CHECK_INPUT(f.prompt_len + f.gen_len <= config.max_positions, "bench: --prompt-len ",
                     f.prompt_len, " + --gen-len ", f.gen_len, " exceed max_position_embeddings ",
                     config.max_positions);
  const Workload workload{f.prompt_len, f.gen_len, f.num_requests};
  const RunRequest request = make_run_request(f.execution, 1, choice.kind, workload, log);
  const RunPlan run = plan_run(source, request);
  if (run.plan && log != nullptr) *log << "strata: " << run.plan->summary << std::endl;
  const Policy& policy = run.engine.options.policy;
  const int64_t block = policy.block_size();
  // The cost model's figures for exactly this policy, planned or given by hand.
  struct {
    Prediction prediction;
    std::filesystem::path profile_path;
  } predicted;
  if (run.plan) {
    predicted = {run.plan->prediction, run.plan->profile_path};
  } else {
    const std::filesystem::path scratch = f.execution.offload_dir.empty()
                                              ? std::filesystem::temp_directory_path()
                                              : f.execution.offload_dir;
    const MachineProfile machine =
        machine_profile(cached_profile_path(choice.kind), scratch, log, choice.kind, 0,
                        !profile_path_chosen());
    predicted.profile_path = machine.path;
    predicted.prediction =
        predict_policy(planned_model(source), with_capacities(machine.profile, request.capacities),
                       Workload{f.prompt_len, f.gen_len, block}, policy);
  }
  const Prediction& p = predicted.prediction;
  // Synthetic prompts: bos + random token ids; greedy decoding of gen_len tokens each.
  std::vector<SequenceRequest> reqs(static_cast<size_t>(block));
  SequenceRng rng(f.seed);
  for (SequenceRequest& r : reqs) {
    r.prompt_ids = {config.bos_token_id};
    while (int64_t(r.prompt_ids.size()) < f.prompt_len) {
      r.prompt_ids.push_back(int32_t(4 + rng.next() % uint64_t(config.vocab_size - 4)));
    }
    r.max_new_tokens = f.gen_len;
  }
  const Engine engine = build_engine(source, run.engine);
  // A long bench shows it is moving: one line at most every 2 s, from inside the block.
  const int64_t total_tokens = block * f.gen_len;
  auto last = std::chrono::steady_clock::now();
  if (log != nullptr) {
    engine.generator->set_step_observer([&](int64_t generated) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(2)) return;
      last = now;
      *log << "strata: bench: " << generated << "/" << total_tokens << " tokens generated"
           << std::endl;
    });
  }
  engine.generator->generate(reqs, nullptr);
  const GenerationStats& s = engine.generator->stats();
  const ExecutorReport& r = engine.generator->report();
  const double prefill = double(block * f.prompt_len) / s.prefill_seconds;
  const double decode_tokens = double(s.generated_tokens - block);
  const double decode = s.decode_seconds > 0 ? decode_tokens / s.decode_seconds : 0.0;
  const double total = double(s.generated_tokens) / (s.prefill_seconds + s.decode_seconds);
  const CopyRates h2d = h2d_rates(r, predicted.profile_path);
  const char* backend = choice.kind == BackendKind::cuda ? "cuda" : "cpu";
  std::cout << std::fixed << std::setprecision(2) << "model: "
            << (f.dummy.empty() ? f.model.string() : "dummy " + f.dummy) << ", block "
            << block << " sequences, prompt " << f.prompt_len << ", generate " << f.gen_len
            << "\nprefill latency: " << s.prefill_seconds << " s, throughput: " << prefill
            << " token/s" << vs_prediction(prefill, p.prefill_tokens_per_s)
            << "\ndecode latency: " << s.decode_seconds << " s, throughput: " << decode
            << " token/s" << vs_prediction(decode, p.decode_tokens_per_s)
            << "\ntotal latency: " << s.prefill_seconds + s.decode_seconds
            << " s, throughput: " << total << " token/s"
            << vs_prediction(total, p.total_tokens_per_s) << "\n"
            << "backend: " << backend << "; host→device copies: " << h2d.achieved / 1e9
            << " GB/s achieved (profile: " << h2d.profiled / 1e9 << " GB/s)\n"
            << "policy: " << (run.plan ? "--policy auto (flags given by hand fixed)" : "--policy file")
            << "; predictions: cost model on " << predicted.profile_path.string() << "\n"
            << r.summary() << "\n";
  nlohmann::ordered_json j = {
      {"model", f.dummy.empty() ? f.model.string() : f.dummy},
      {"dummy", !f.dummy.empty()},
      {"backend", backend},
      {"prompt_len", f.prompt_len},
      {"gen_len", f.gen_len},
      {"block_size", block},
      {"generated_tokens", s.generated_tokens},
      {"prefill_seconds", s.prefill_seconds},
      {"decode_seconds", s.decode_seconds},
      {"prefill_throughput", prefill},
      {"decode_throughput", decode},
      {"total_throughput", total},
      {"projected", false},
      {"policy", policy_json(policy)},
      {"policy_source", run.plan ? "auto" : "file"},
      {"hardware_profile", predicted.profile_path.string()},
      {"predicted", prediction_json(p)},
      {"gap_percent", {{"prefill", gap_percent(prefill, p.prefill_tokens_per_s)},
                       {"decode", gap_percent(decode, p.decode_tokens_per_s)},
                       {"total", gap_percent(total, p.total_tokens_per_s)}}},
      {"resource_seconds", {{"disk_read", r.times.disk_read}, {"disk_write", r.times.disk_write},
                            {"host_to_device", r.times.copy_h2d},
                            {"device_to_host", r.times.copy_d2h}, {"compute", r.times.compute},
                            {"wait", r.times.wait}}},
      {"host_to_device_bytes_per_s", {{"achieved", h2d.achieved}, {"profiled", h2d.profiled}}},
      {"bytes_moved", {{"disk_read", r.bytes.disk_read}, {"disk_write", r.bytes.disk_write},
                       {"host_to_device", r.bytes.h2d}, {"device_to_host", r.bytes.d2h}}},
      {"kv_bytes_moved", {{"disk_read", r.kv_bytes.disk_read},
                          {"disk_write", r.kv_bytes.disk_write},
                          {"host_to_device", r.kv_bytes.h2d},
                          {"device_to_host", r.kv_bytes.d2h}}},
      {"placed", {{"device", tier_json(r.placed[Place::device])},
                  {"host", tier_json(r.placed[Place::host])},
                  {"disk", tier_json(r.placed[Place::disk])}}}};
  std::cout << j.dump() << std::endl;
  return kExitOk;
}

}  // namespace

Command add_bench_command(CLI::App& parent) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* app = parent.add_subcommand(
      "bench", "Measure prefill, decode and total throughput of one block through the "
               "offloading executor");
  app->footer("The policy is --policy auto unless --policy FILE is given: the planner's choice "
              "for this machine's\ncached profile (measured on first use, as strata profile), "
              "the capacities and the workload;\nevery policy flag given by hand is kept. Each "
              "throughput is printed next to the cost model's\nprediction for the policy run.\n"
              "Examples:\n"
              "  strata bench --dummy opt-1.3b --prompt-len 512 --gen-len 32 --offload-dir /ssd "
              "--percent 0 100 0 100 100 0 --gpu-batch-size 8 --num-gpu-batches 4\n"
              "  strata bench --model models/opt-125m --prompt-len 64 --gen-len 16 --no-overlap");
  CLI::Option* model = app->add_option("--model", f->model, "Hugging Face model directory or store");
  std::string presets;
  for (const std::string& n : preset_names()) presets += (presets.empty() ? "" : ", ") + n;
  CLI::Option* dummy = app->add_option("--dummy", f->dummy, "A dummy model with the real "
                                       "geometry and random f16 weights (written once into "
                                       "--offload-dir): " + presets);
  model->excludes(dummy);
  app->add_option("--prompt-len", f->prompt_len, "Tokens per prompt")
      ->check(integer_in(1, kMaxTokens))->capture_default_str();
  app->add_option("--gen-len", f->gen_len, "Tokens generated per sequence")
      ->check(integer_in(1, kMaxTokens))->capture_default_str();
  app->add_option("--seed", f->seed, "Seed of the random prompts")->capture_default_str();
  app->add_option("--num-requests", f->num_requests, "With --policy auto (the default): the most "
                  "sequences the planner may put in the block")
      ->check(integer_in(1, kMaxSequences))->capture_default_str();
  add_backend_option(*app, f->backend);
  add_execution_options(*app, f->execution);
  app->add_flag("--quiet,-q", f->quiet, "Print only the figures");
  return {app, [f] { return run_bench(*f); }};
}

}  // namespace strata::cli
