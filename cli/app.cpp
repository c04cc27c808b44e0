#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/error.h"

namespace strata::cli {

int run_app(int argc, char** argv) {
  CLI::App app{"strata: throughput-oriented batch generation for large language models"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return kExitOk;
}

}  // namespace strata::cli
