#include "engine/executor/executor_policy.h"

#include <cmath>

#include "common/error.h"

namespace strata {
namespace {

void validate_shares(const TierShares& s, const char* what) {
  for (double f : {s.device, s.host, s.disk}) {
    STRATA_CHECK_INPUT(std::isfinite(f) && f >= 0.0 && f <= 1.0, "policy: ", what,
                       " fraction ", f, " is outside [0, 1]");
  }
  const double sum = s.device + s.host + s.disk;
  STRATA_CHECK_INPUT(std::abs(sum - 1.0) <= 1e-6, "policy: ", what, " fractions sum to ", sum,
                     ", must sum to 1");
}

}  // namespace

void validate(const ExecutorPolicy& p) {
  STRATA_CHECK_INPUT(p.gpu_batch_size >= 1, "policy: gpu_batch_size = ", p.gpu_batch_size,
                     " must be >= 1");
  STRATA_CHECK_INPUT(p.num_gpu_batches >= 1, "policy: num_gpu_batches = ", p.num_gpu_batches,
                     " must be >= 1");
  validate_shares(p.weights, "weights");
  validate_shares(p.cache, "cache");
  validate_shares(p.activations, "activations");
  // Hidden states are tiny next to weights and cache; streaming them through disk every layer
  // never pays off, so the executor keeps them on device or host only.
  STRATA_CHECK_INPUT(p.activations.disk <= 1e-9, "policy: activations on disk (",
                     p.activations.disk * 100, "%) are not supported; put them on device or host "
                     "(A_DEV + A_HOST = 100)");
  STRATA_CHECK_INPUT(p.attention == AttentionAt::device || p.cache.device <= 1e-9,
                     "policy: cpu_attention needs the KV cache off the device, but cache.device = ",
                     p.cache.device);
  STRATA_CHECK_INPUT(p.cache_dtype == DType::f32 || p.cache_dtype == DType::q4 ||
                         p.cache_dtype == DType::q8,
                     "policy: KV cache as ", dtype_name(p.cache_dtype),
                     " is not supported (f32, or compressed q4 / q8)");
}

}  // namespace strata
