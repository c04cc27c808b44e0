#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "cli/commands/command.h"
#include "common/error.h"

namespace strata::cli {
namespace {

// Errors are printed as exactly one line, whatever the message held.
void print_error(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "strata: error: " << line << std::endl;
}

std::string version_line() {
#ifdef STRATA_WITH_CUDA
  return std::string("strata ") + STRATA_VERSION + " (CPU and CUDA backends)";
#else
  return std::string("strata ") + STRATA_VERSION + " (CPU backend; built without CUDA)";
#endif
}

}  // namespace

int run_app(int argc, char** argv) {
  CLI::App app{"strata: throughput-oriented batch generation for large language models.\n"
               "Runs Llama, Mistral, Qwen2/2.5, Qwen3 and OPT models from Hugging Face directories\n"
               "on the CPU, or on one NVIDIA GPU with --backend cuda (built, not yet validated on a\n"
               "GPU), streaming weights and the KV cache between device, host memory and disk."};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line());
  app.footer("Run 'strata COMMAND --help' for a command's options.");
  const std::vector<Command> commands = {add_run_command(app), add_generate_command(app),
                                         add_tokenize_command(app), add_merge_command(app),
                                         add_convert_command(app), add_plan_command(app),
                                         add_profile_command(app), add_bench_command(app),
                                         add_perplexity_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --version and the like
    const auto known = [&](const std::string& name) {
      for (const Command& c : commands) {
        if (c.app->get_name() == name) return true;
      }
      return false;
    };
    if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
      std::string names;
      for (const Command& c : commands) names += (names.empty() ? "" : ", ") + c.app->get_name();
      print_error(std::string("unknown command '") + argv[1] + "' (commands: " + names + ")");
      return kExitBadInput;
    }
    print_error(std::string(e.what()) + " (see strata --help)");
    return kExitBadInput;
  }
  try {
    for (const Command& c : commands) {
      if (c.app->parsed()) return c.run();
    }
    return kExitBadInput;
  } catch (const Interrupted&) {
    return kExitInterrupted;  // the job already said what was saved and how to resume
  } catch (const InputError& e) {
    print_error(e.what());
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitFailure;
  }
}

}  // namespace strata::cli
