// strata plan: the policy the planner chooses for a model, a machine and a workload, with its
// predicted throughput and per-tier memory; -o writes it as YAML for `strata run --policy`.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/plan/plan_options.h"
#include "planner/plan_report.h"
#include "planner/policy_yaml.h"

namespace strata::cli {

Command add_plan_command(CLI::App& parent) {
  auto opts = std::make_shared<PlanCliOptions>();
  auto out = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "plan", "Choose a policy (batch shape and each tier's share of weights, KV cache and "
              "activations) with the planner's linear program, and predict its throughput");
  add_model_and_hardware_options(*app, *opts);
  add_workload_options(*app, *opts);
  add_compression_options(*app, *opts);
  app->add_option("-o,--output", *out, "Write the policy as YAML (for strata run --policy)");
  auto quiet = std::make_shared<bool>(false);
  app->add_flag("--quiet,-q", *quiet, "Print nothing but the plan and errors");
  app->footer(
      "Examples:\n"
      "  strata plan --dummy opt-30b --hardware t4-flexgen --prompt-len 512 --gen-len 32\n"
      "  strata plan --dummy opt-175b --device-mem 16GiB --host-mem 200GiB --disk-mem 1.5TB "
      "--compress-weight -o policy.yaml\n"
      "Predictions are the cost model's (docs/planner.md); strata bench measures the real "
      "figures.");
  return {app, [opts, out, quiet] {
            std::string notice;
            std::optional<ModelSource> source;
            const PlannedModel model = plan_model(*opts, source);
            const PlanInputs in = make_plan_inputs(*opts, model, &notice);
            if (!notice.empty() && !*quiet) std::cerr << "strata: " << notice << "\n";
            const Plan plan = plan_policy(in, make_planner_options(*opts, model.dense_format));
            std::cout << format_plan(plan, in);
            if (!out->empty()) {
              write_policy_yaml(plan.policy, *out);
              std::cout << "wrote " << *out << "\n";
            }
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
