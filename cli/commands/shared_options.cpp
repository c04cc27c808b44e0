#include "cli/commands/command.h"
#include "cli/flag_checks.h"

namespace strata::cli {

void add_sampling_options(CLI::App& app, RequestDefaults& d) {
  app.add_option("--max-new-tokens,--max-tokens", d.max_new_tokens,
                 "Tokens to generate per request at most (a request's \"max_tokens\" wins)")
      ->check(integer_in(0, kMaxTokens))
      ->capture_default_str();
  app.add_option("--temperature", d.temperature,
                 "Sampling temperature; 0 is greedy (a request's \"temperature\" wins)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--top-p", d.top_p, "Nucleus sampling: keep the most likely tokens up to this "
                 "probability mass (a request's \"top_p\" wins)")
      ->check(CLI::Range(1e-9, 1.0))
      ->capture_default_str();
  app.add_option("--top-k", d.top_k,
                 "Keep only the k most likely tokens; 0 keeps all (a request's \"top_k\" wins)")
      ->check(integer_in(0, int64_t(1) << 30))
      ->capture_default_str();
  app.add_option("--seed", d.seed, "Base random seed; a request without \"seed\" samples with one "
                 "derived from this and its line number, so runs are reproducible")
      ->capture_default_str();
}

void add_backend_option(CLI::App& app, std::string& backend) {
  app.add_option("--backend", backend,
                 "Compute backend: cpu; cuda (one NVIDIA GPU, through the offloading executor; "
                 "not yet validated on a GPU); auto (cpu for now, saying so when a GPU answers)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
}

}  // namespace strata::cli
