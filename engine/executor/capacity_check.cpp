#include "engine/executor/capacity_check.h"

#include "common/error.h"
#include "engine/executor/block_plan.h"

namespace strata {

TierBytes planned_tier_bytes(const ModelSpec& model, const DTypeOf& dtype_of,
                             const Policy& policy, int64_t prompt_len, int64_t gen_len) {
  const WeightLayout weights = layout_weights(model.tensors, dtype_of, policy.weights);
  const BlockPlan block = plan_block(model, policy, worst_block(policy, prompt_len, gen_len));
  return planned_bytes(weights, block);
}

void check_policy_fits(const ModelSpec& model, const DTypeOf& dtype_of,
                       const ExecutorOptions& options, int64_t prompt_len, int64_t gen_len) {
  validate_for_executor(options.policy);
  const TierBytes need = planned_tier_bytes(model, dtype_of, options.policy, prompt_len, gen_len);
  const std::string problems = capacity_problems(need, options.capacities);
  STRATA_CHECK_INPUT(problems.empty(), "policy does not fit (block of ",
                     options.policy.block_size(), " sequences, prompt ", prompt_len,
                     " tokens, ", gen_len, " generated): ", problems);
}

}  // namespace strata
