// strata generate: one prompt, its completion printed to stdout.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/generation_engine.h"
#include "cli/model_loading.h"
#include "common/error.h"

namespace strata::cli {
namespace {

struct GenerateOptions {
  std::filesystem::path model_dir;
  std::string prompt;
  std::vector<std::string> stop;
  RequestDefaults defaults;
  std::string backend = "auto";
  ExecutionFlags execution;
};

int generate_one(const GenerateOptions& o) {
  const LoadedTokenizer tok = load_tokenizer(o.model_dir);
  SequenceRequest req;
  req.prompt_ids = tok.prompt_ids(o.prompt);
  STRATA_CHECK_INPUT(int64_t(req.prompt_ids.size()) <= tok.config.max_positions, "--prompt: ",
                     req.prompt_ids.size(), " tokens (bos included) exceed the model's "
                     "max_position_embeddings ", tok.config.max_positions);
  req.max_new_tokens = o.defaults.max_new_tokens;
  req.sampling = {o.defaults.temperature, o.defaults.top_p, o.defaults.top_k, o.defaults.seed};
  req.stop = o.stop;
  const BackendChoice choice = choose_backend(parse_backend_request(o.backend));
  const int64_t prompt_len = int64_t(req.prompt_ids.size());
  EngineRequest request{o.model_dir, o.execution, 1, prompt_len,
                        std::max<int64_t>(1, std::min(req.max_new_tokens,
                                                      tok.config.max_positions - prompt_len)),
                        choice.kind, &std::cerr, std::nullopt, /*plan_may_run_in_memory=*/true};
  plan_engine_request(request, 1);  // --policy auto
  check_engine_request(request);  // a policy that cannot fit fails before the notice
  if (!choice.notice.empty()) std::cerr << "strata: " << choice.notice << "\n";
  const GenerationEngine engine = make_generation_engine(request, tok.tokenizer);
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
                  "Hugging Face OPT model directory, or a store made by strata convert")
      ->required();
  app->add_option("--prompt", o->prompt, "The text to complete")->required();
  app->add_option("--stop", o->stop, "Stop before this string (repeatable)");
  add_sampling_options(*app, o->defaults);
  add_backend_option(*app, o->backend);
  add_execution_options(*app, o->execution);
  return {app, [o] { return generate_one(*o); }};
}

}  // namespace strata::cli
