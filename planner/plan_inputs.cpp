#include "planner/plan_inputs.h"

#include "common/error.h"

namespace strata {

void validate(const PlanInputs& in) {
  validate(in.model);
  validate(in.hardware);
  const Workload& w = in.workload;
  STRATA_CHECK_INPUT(w.prompt_len >= 1, "workload: prompt_len = ", w.prompt_len, " must be >= 1");
  STRATA_CHECK_INPUT(w.gen_len >= 1, "workload: gen_len = ", w.gen_len, " must be >= 1");
  STRATA_CHECK_INPUT(w.prompt_len + w.gen_len <= in.model.max_positions,
                     "workload: prompt_len + gen_len = ", w.prompt_len + w.gen_len, " exceeds ",
                     in.model.name, "'s max_positions ", in.model.max_positions);
  STRATA_CHECK_INPUT(!w.num_requests || *w.num_requests >= 1, "workload: num_requests = ",
                     w.num_requests.value_or(0), " must be >= 1");
  STRATA_CHECK_INPUT(static_cast<bool>(in.matrix_bytes), "plan inputs: matrix_bytes is empty");
}

}  // namespace strata
