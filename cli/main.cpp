// strata: the command-line entry point. Catches every error once and maps it to an exit code.
#include "cli/app.h"

int main(int argc, char** argv) { return strata::cli::run_app(argc, argv); }
