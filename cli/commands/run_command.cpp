// strata run: a batch job from a JSONL file of requests to a JSONL file of results.
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"

namespace strata::cli {

Command add_run_command(CLI::App& parent) {
  auto opts = std::make_shared<BatchJobOptions>();
  auto backend = std::make_shared<std::string>("auto");
  CLI::App* app = parent.add_subcommand(
      "run", "Generate completions for every request of a JSONL file (a batch job)");
  app->footer(
      "Input: one JSON object per line, blank lines skipped:\n"
      "  {\"id\": \"a1\", \"prompt\": \"Once upon a time\", \"max_tokens\": 32, \"temperature\": "
      "0.8,\n   \"top_p\": 0.9, \"top_k\": 40, \"stop\": [\"\\n\"], \"seed\": 7}\n"
      "Only \"prompt\" is required; the other fields override the flags above.\n"
      "Output: one line per request, in input order:\n"
      "  {\"id\", \"text\", \"token_ids\", \"finish_reason\" (stop|length), \"prompt_tokens\", "
      "\"completion_tokens\"}\n"
      "The output file appears only when the whole job has finished.\n"
      "Example: strata run --model examples/models/opt-fortunes-tiny --input "
      "examples/requests.jsonl --output results.jsonl");
  app->add_option("--model", opts->model_dir, "Hugging Face OPT model directory "
                  "(config.json, *.safetensors, vocab.json, merges.txt)")
      ->required();
  app->add_option("--input", opts->input, "JSONL file of requests")->required();
  app->add_option("--output", opts->output, "JSONL file to write the results to")->required();
  app->add_option("--batch-size", opts->batch_size,
                  "Sequences generated together in one micro-batch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_sampling_options(*app, opts->defaults);
  add_backend_option(*app, *backend);
  app->add_flag("--quiet,-q", opts->quiet, "Print nothing but errors");
  return {app, [opts, backend] {
            opts->backend = parse_backend_request(*backend);
            const BatchJobSummary s = run_batch_job(*opts, std::cerr);
            if (!opts->quiet) {
              const double gen_s = s.stats.prefill_seconds + s.stats.decode_seconds;
              std::cerr << std::fixed << std::setprecision(1) << "strata: " << s.requests
                        << " requests, " << s.stats.generated_tokens << " tokens generated in "
                        << s.seconds << " s (" << s.stats.generated_tokens / std::max(gen_s, 1e-9)
                        << " tokens/s while generating); wrote " << opts->output.string() << "\n";
            }
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
