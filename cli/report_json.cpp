#include "cli/report_json.h"

#include "engine/core/dtype.h"
#include "engine/executor/executor_options.h"

namespace strata::cli {

nlohmann::ordered_json policy_json(const Policy& p) {
  const auto shares = [](const Placement& s) {
    return nlohmann::ordered_json{{"device", s.device}, {"host", s.host}, {"disk", s.disk}};
  };
  return {{"gpu_batch_size", p.gpu_batch_size}, {"num_gpu_batches", p.num_gpu_batches},
          {"weights", shares(p.weights)}, {"cache", shares(p.cache)},
          {"activations", shares(p.activations)},
          {"cpu_attention", p.attention == AttentionPlace::kHost},
          {"kv_cache", std::string(dtype_name(cache_dtype_of(p)))},
          {"overlap", p.overlap == Overlap::kOn}};
}

nlohmann::ordered_json prediction_json(const Prediction& p) {
  return {{"prefill_seconds", p.prefill_seconds},
          {"decode_seconds", p.decode_seconds},
          {"prefill_throughput", p.prefill_tokens_per_s},
          {"decode_throughput", p.decode_tokens_per_s},
          {"total_throughput", p.total_tokens_per_s},
          {"prefill_bottleneck", to_string(p.prefill_bottleneck)},
          {"decode_bottleneck", to_string(p.decode_bottleneck)}};
}

}  // namespace strata::cli
