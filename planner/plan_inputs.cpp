#include "planner/plan_inputs.h"

#include "common/error.h"

namespace strata {

void validate(const PlanInputs& in) {
  validate(in.model);
  validate(in.hardware);
  const Workload& w = in.workload;
  STRATA_CHECK_INPUT(w.prompt_len >= 1, "workload: prompt_len = ", w.prompt_len, " must be >= 1");
  STRATA_CHECK_INPUT(w.gen_len >= 1, "workload: gen_len = ", w.gen_len, " must be >= 1");
  STRATA_CHECK_INPUT(w.job_envelope || w.prompt_len + w.gen_len <= in.model.max_positions,
                     "workload: prompt_len + gen_len = ", w.prompt_len + w.gen_len, " exceeds ",
                     in.model.name, "'s max_positions ", in.model.max_positions);
  STRATA_CHECK_INPUT(!w.num_requests || *w.num_requests >= 1, "workload: num_requests = ",
                     w.num_requests.value_or(0), " must be >= 1");
  STRATA_CHECK_INPUT(static_cast<bool>(in.matrix_bytes), "plan inputs: matrix_bytes is empty");
}

ModelBytes input_model_bytes(const PlanInputs& in, const Policy& policy) {
  if (in.model_bytes) {
    return in.model_bytes(policy.compress_weight, policy.compress_cache, policy.cache_dtype);
  }
  ModelGeometry geometry = in.model;
  switch (policy.cache_dtype) {
    case CacheDType::kF16: geometry.cache_format = StorageFormat::kF16; break;
    case CacheDType::kBF16: geometry.cache_format = StorageFormat::kBF16; break;
    case CacheDType::kF32: geometry.cache_format = StorageFormat::kF32; break;
  }
  return model_bytes(geometry, policy.compress_weight, policy.compress_cache, in.matrix_bytes);
}

double ExecutorMemoryForm::at(const Policy& policy) const {
  double v = bytes.at(policy);
  for (DataKind kind : {DataKind::kWeights, DataKind::kCache, DataKind::kActivations}) {
    if (placement(policy, kind).device < 1.0) v += off_device_reserve[size_t(kind)];
  }
  return v;
}

}  // namespace strata
