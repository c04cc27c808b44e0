// strata run: a batch job from a JSONL file of requests to a JSONL file of results.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/flag_checks.h"
#include "cli/execution_flags.h"
#include "cli/job/shard.h"

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
      "OpenAI Batch lines ({\"custom_id\", \"method\", \"url\", \"body\"}) are accepted too and "
      "answered in\nOpenAI Batch output format. Chat messages are rendered with the model's own\n"
      "chat_template (tokenizer_config.json; --chat-template FILE overrides it; a body's\n"
      "\"chat_template_kwargs\", e.g. {\"enable_thinking\": false}, reach the template), else as\n"
      "\"SYSTEM\\n\\nUser: ...\\nAssistant: ...\\n...Assistant:\". Bodies may add n, an array of\n"
      "prompts, presence_penalty, frequency_penalty and logprobs (chat: top_logprobs). A bad\n"
      "line, or one asking for what Strata does not do (logit_bias, tools, response_format\n"
      "json, echo, ...: README), gets an error line, or fails the job with --strict.\n"
      "The output file appears only when the whole job has finished; finished requests are\n"
      "journaled as they finish (OUTPUT.journal), so after Ctrl-C, kill or a crash, the same\n"
      "command with --resume continues where it stopped (a run without --resume refuses to\n"
      "replace a journal). --shard i/N runs one slice; strata merge joins the slices.\n"
      "Example: strata run --model examples/models/opt-fortunes-tiny --input "
      "examples/requests.jsonl --output results.jsonl\n"
      "Policy (docs/planner.md): --policy auto (the default) plans placement and batch shape\n"
      "for this machine (profile cached on first use) and the job; a plan that keeps everything\n"
      "on the device runs in memory, any other the three-tier executor (docs/executor.md).\n"
      "Flags given by hand win, e.g. --percent 0 100 0 100 100 0 --gpu-batch-size 8 "
      "--num-gpu-batches 4 --offload-dir /ssd\n(all three given: nothing is planned). "
      "--policy in-memory skips the planner.");
  app->add_option("--model", opts->model_dir, "Hugging Face model directory (config.json, "
                  "*.safetensors, tokenizer.json or vocab.json + merges.txt; model_type opt, "
                  "llama, mistral, qwen2 or qwen3), or a store made by strata convert")
      ->required();
  app->add_option("--chat-template", opts->chat_template,
                  "Jinja chat template file for chat requests, instead of the model's own");
  app->add_option("--input", opts->input, "JSONL file of requests; - reads stdin (such a job "
                  "cannot be resumed)")->required();
  app->add_option("--output", opts->output, "JSONL file to write the results to, atomically "
                  "when the job is done (a symlink: the file it points to); - or a device "
                  "streams the lines in input order as they finish (no journal, no --resume)")
      ->required();
  app->add_option("--batch-size", opts->batch_size,
                  "Sequences generated together in one micro-batch (given by hand, --policy "
                  "auto keeps it as gpu_batch_size)")
      ->check(integer_in(1, kMaxSequences))
      ->capture_default_str();
  add_sampling_options(*app, opts->defaults);
  add_backend_option(*app, *backend);
  add_execution_options(*app, opts->execution, "auto");
  app->add_option("--shard", opts->shard, "Run only slice i of N of the requests (i/N, from 0) "
                  "and write OUTPUT.shard.json beside the output; join the outputs with strata "
                  "merge (docs/scale-out.md)")
      ->check(CLI::Validator(
          [](std::string& v) { return v.empty() ? std::string("expected i/N, e.g. 0/4") : ""; },
          "i/N"));
  app->add_flag("--resume", opts->resume, "Continue an interrupted run of the same job from its "
                "journal (OUTPUT.journal), keeping every finished result; without a journal, "
                "start the job from the beginning, so it is safe to always pass. Refused when "
                "the input or the settings changed since the journal began");
  app->add_flag("--strict", opts->strict, "OpenAI Batch input: fail the whole job on a bad line "
                "(default: that line gets an error line in the output)");
  app->add_option("--metrics", opts->metrics, "Also write the job's figures as JSON to this file");
  app->add_flag("--quiet,-q", opts->quiet, "Print nothing but errors");
  return {app, [app, opts, backend] {
            opts->backend = parse_backend_request(*backend);
            if (app->count("--batch-size") > 0) opts->execution.hand_batch_size = opts->batch_size;
            // The default --policy auto with placement and shape all given by hand has nothing
            // to plan: skip it, and the hardware profile it would need.
            if (app->count("--policy") == 0 && opts->execution.fixes_policy()) {
              opts->execution.policy.clear();
            }
            const JobMetrics m = run_batch_job(*opts, std::cerr);
            if (!opts->quiet) std::cerr << m.summary_line() << "; wrote " << opts->output.string() << "\n";
            return int(m.failed > 0 ? kExitSomeLinesFailed : kExitOk);
          }};
}

Command add_merge_command(CLI::App& parent) {
  auto output = std::make_shared<std::filesystem::path>();
  auto shards = std::make_shared<std::vector<std::filesystem::path>>();
  CLI::App* app = parent.add_subcommand(
      "merge", "Join the outputs of strata run --shard i/N into one file in input order");
  app->footer("Example: strata merge --output results.jsonl results-*.jsonl\n"
              "Every shard 0..N-1 of the same input must be given once (any order); each shard's "
              "OUTPUT.shard.json sidecar says which slice it holds.");
  app->add_option("-o,--output", *output, "The merged JSONL file (a symlink: the file it points "
                  "to is replaced; never a shard output or its sidecar)")->required();
  app->add_option("shards", *shards, "Shard outputs")->required();
  app->add_flag("--quiet,-q")
      ->description("Accepted as on every command (merge prints only errors)");
  return {app, [output, shards] {
            merge_shards(*shards, *output);
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
