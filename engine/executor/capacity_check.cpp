#include "engine/executor/capacity_check.h"

#include "common/error.h"
#include "engine/executor/block_plan.h"

namespace strata {

TierBytes planned_tier_bytes(const OptConfig& config, const DTypeOf& dtype_of,
                             const ExecutorPolicy& policy, int64_t prompt_len, int64_t gen_len) {
  const WeightLayout weights = layout_weights(config, dtype_of, policy.weights);
  const BlockPlan block = plan_block(config, policy, worst_block(policy, prompt_len, gen_len));
  return planned_bytes(weights, block);
}

void check_policy_fits(const OptConfig& config, const DTypeOf& dtype_of,
                       const ExecutorOptions& options, int64_t prompt_len, int64_t gen_len) {
  validate(options.policy);
  const TierBytes need = planned_tier_bytes(config, dtype_of, options.policy, prompt_len, gen_len);
  const std::string problems = capacity_problems(need, options.capacities);
  STRATA_CHECK_INPUT(problems.empty(), "policy does not fit (block of ",
                     options.policy.block_size(), " sequences, prompt ", prompt_len,
                     " tokens, ", gen_len, " generated): ", problems);
}

}  // namespace strata
