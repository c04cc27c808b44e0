// strata generate: one prompt, its completion printed to stdout.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/run_request.h"
#include "common/error.h"
#include "runtime/model_source.h"

namespace strata::cli {
namespace {

struct GenerateOptions {
  std::filesystem::path model_dir;
  std::string prompt;
  std::vector<std::string> stop;
  RequestDefaults defaults;
  std::string backend = "auto";
  ExecutionFlags execution;
  bool quiet = false;
};

int generate_one(const GenerateOptions& o) {
  ModelSource source = ModelSource::open(o.model_dir);
  const int64_t max_positions = source.config().max_positions;
  SequenceRequest req;
  req.prompt_ids = source.prompt_ids(o.prompt);
  STRATA_CHECK_INPUT(int64_t(req.prompt_ids.size()) <= max_positions, "--prompt: ",
                     req.prompt_ids.size(), " tokens (bos included) exceed the model's "
                     "max_position_embeddings ", max_positions);
  req.max_new_tokens = o.defaults.max_new_tokens;
  req.sampling = {o.defaults.temperature, o.defaults.top_p, o.defaults.top_k, o.defaults.seed};
  req.stop = o.stop;
  const BackendChoice choice = choose_backend(parse_backend_request(o.backend));
  // A policy that cannot fit fails before the notice.
  std::ostream* notes = o.quiet ? nullptr : &std::cerr;
  const RunPlan plan = plan_run(source, make_run_request(o.execution, 1, choice.kind,
                                                         workload_of({&req, 1}, max_positions),
                                                         notes));
  if (notes != nullptr && !choice.notice.empty()) *notes << "strata: " << choice.notice << "\n";
  if (notes != nullptr && plan.plan) *notes << "strata: " << plan_line(*plan.plan) << std::endl;
  const Engine engine = build_engine(source, plan.engine);
  const std::vector<SequenceResult> out = engine.generator->generate({&req, 1}, nullptr);
  std::cout << out[0].text << std::endl;
  return kExitOk;
}

}  // namespace

Command add_generate_command(CLI::App& parent) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* app = parent.add_subcommand("generate", "Complete one prompt and print the text");
  app->footer("Example: strata generate --model examples/models/opt-fortunes-tiny "
              "--prompt \"The best way to\" --max-new-tokens 40");
  app->add_option("--model", o->model_dir,
                  "Hugging Face model directory, or a store made by strata convert")
      ->required();
  app->add_option("--prompt", o->prompt, "The text to complete")->required();
  app->add_option("--stop", o->stop, "Stop before this string (repeatable)");
  add_sampling_options(*app, o->defaults);
  add_backend_option(*app, o->backend);
  add_execution_options(*app, o->execution);
  app->add_flag("--quiet,-q", o->quiet, "Print nothing but the text and errors");
  return {app, [o] { return generate_one(*o); }};
}

}  // namespace strata::cli
