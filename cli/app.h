// The strata command line: builds the CLI11 app with every subcommand and runs it.
#pragma once

namespace strata::cli {

// Exit codes: 0 success, 1 runtime failure, 2 bad input or usage, 130 interrupted.
// 3: the job finished and wrote every line, but some are error lines (OpenAI Batch files: a bad
// or refused request), so a script cannot mistake a partly failed job for a clean one.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitBadInput = 2,
  kExitSomeLinesFailed = 3,
  kExitInterrupted = 130
};

int run_app(int argc, char** argv);

}  // namespace strata::cli
