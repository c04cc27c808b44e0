// A subcommand: its CLI11 app (options bound to its own state) and the action run after parsing.
// Actions run outside CLI11's parse so that app.cpp maps every error to one line and an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/job/batch_job.h"

namespace strata::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_run_command(CLI::App& parent);
Command add_generate_command(CLI::App& parent);
Command add_tokenize_command(CLI::App& parent);
Command add_convert_command(CLI::App& parent);
Command add_merge_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent);  // issue 3: offloading executor benchmark
Command add_plan_command(CLI::App& parent);
Command add_profile_command(CLI::App& parent);
Command add_perplexity_command(CLI::App& parent);  // issue 4: accuracy of quantized weights

// Options shared by the commands that generate: sampling defaults and the backend.
void add_sampling_options(CLI::App& app, RequestDefaults& defaults);
void add_backend_option(CLI::App& app, std::string& backend);

}  // namespace strata::cli
