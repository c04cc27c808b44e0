#include "runtime/policy_request.h"

#include "common/error.h"
#include "engine/executor/executor_options.h"

namespace strata {

CacheDType auto_cache_dtype(StorageFormat dense) {
  return dense == StorageFormat::kBF16 ? CacheDType::kBF16 : CacheDType::kF16;
}

PolicyRequest with_auto_cache_dtype(PolicyRequest request, StorageFormat dense) {
  if (!request.cache_dtype) request.cache_dtype = auto_cache_dtype(dense);
  return request;
}

Policy resolve_policy(const PolicyRequest& r, const Policy* planned) {
  Policy policy;
  policy.gpu_batch_size = r.default_batch_size;
  if (planned != nullptr) {
    policy = *planned;
  } else if (r.source == PolicyRequest::Source::file) {
    STRATA_CHECK(r.file.has_value(), "policy file not read");
    policy = *r.file;
  } else {
    STRATA_CHECK(r.source != PolicyRequest::Source::plan, "--policy auto: the policy was not planned");
  }
  if (r.placements) {
    policy.weights = (*r.placements)[0];
    policy.cache = (*r.placements)[1];
    policy.activations = (*r.placements)[2];
  }
  if (r.gpu_batch_size) policy.gpu_batch_size = *r.gpu_batch_size;
  if (r.num_gpu_batches) policy.num_gpu_batches = *r.num_gpu_batches;
  if (r.attention) policy.attention = *r.attention;
  if (r.overlap) policy.overlap = *r.overlap;
  if (r.compress_weight) policy.compress_weight = *r.compress_weight;
  if (r.compress_cache) policy.compress_cache = *r.compress_cache;
  if (r.cache_dtype) policy.cache_dtype = *r.cache_dtype;  // a policy file does not carry it
  validate_for_executor(policy);
  STRATA_CHECK_INPUT(policy.cache.disk <= 0 || r.disk_cache_allowed, "the policy puts ",
                     policy.cache.disk * 100, "% of the KV cache on disk: give --offload-dir");
  return policy;
}

PlannerOptions planner_options(const PolicyRequest& r) {
  PlannerOptions o;
  if (r.compress_weight) o.compress_weight = *r.compress_weight;
  if (r.compress_cache) o.compress_cache = *r.compress_cache;
  if (r.cache_dtype) o.cache_dtype = *r.cache_dtype;
  if (r.overlap) o.overlap = *r.overlap;
  if (r.attention) {
    o.attention = *r.attention == AttentionPlace::kHost ? AttentionChoice::kHost
                                                        : AttentionChoice::kDevice;
  }
  o.gpu_batch_size = r.gpu_batch_size;
  o.num_gpu_batches = r.num_gpu_batches;
  o.placements = r.placements;
  // The executor homes no activations on disk, and a disk-resident KV cache needs a folder.
  o.limits.activations.disk = false;
  o.limits.cache.disk = r.disk_cache_allowed;
  return o;
}

}  // namespace strata
