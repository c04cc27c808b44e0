#include "planner/block_sizes.h"

#include <algorithm>

namespace strata {

namespace {

constexpr double kScoreBytes = 4.0;  // attention scores and logits are fp32

// Temporaries of one layer for b sequences of t new tokens attending over ctx positions:
// input and residual output (2h), then the larger of attention (q, k, v, attention output = 4h,
// plus nh x t x ctx scores) and the MLP (normed input h + fc1 output ffn). docs/planner.md.
double layer_workspace(const ModelGeometry& m, double a, double b, double t, double ctx) {
  const double h = static_cast<double>(m.hidden), f = static_cast<double>(m.ffn);
  const double nh = static_cast<double>(m.num_heads);
  const double attention = b * t * a * 4.0 * h + b * nh * t * ctx * kScoreBytes;
  const double mlp = b * t * a * (h + f);
  return b * t * a * 2.0 * h + std::max(attention, mlp);
}

}  // namespace

BlockSizes block_sizes(const PlanInputs& in, const Policy& config) {
  BlockSizes z;
  z.bytes = input_model_bytes(in, config);
  z.layers = static_cast<double>(in.model.num_layers);
  z.batch = static_cast<double>(config.gpu_batch_size);
  z.micro = static_cast<double>(config.num_gpu_batches);
  z.block = z.batch * z.micro;
  z.prompt = static_cast<double>(in.workload.prompt_len);
  z.gen = static_cast<double>(in.workload.gen_len);
  // The last generated token's K/V is never needed (s + n - 1 suffice), but the executor
  // allocates s + n slots per sequence; count what is allocated.
  z.kv_slots = z.prompt + z.gen;
  z.layer_weights = static_cast<double>(z.bytes.layer_weights);
  z.all_weights = z.layers * z.layer_weights + static_cast<double>(z.bytes.outside_weights);
  z.head_weights = static_cast<double>(z.bytes.head_weights);
  z.embed_weights = static_cast<double>(z.bytes.embed_weights);
  z.weight_buffer = std::max({z.layer_weights, z.head_weights, z.embed_weights});
  z.kv_token = static_cast<double>(z.bytes.kv_per_token);
  z.act_token = static_cast<double>(in.model.hidden * in.hardware.activation_bytes_per_element);

  const ModelGeometry& m = in.model;
  const double a = static_cast<double>(in.hardware.activation_bytes_per_element);
  const double h = static_cast<double>(m.hidden), nh = static_cast<double>(m.num_heads);
  // LM head: normed and projected hidden state, fp32 logits over the vocabulary.
  const double head = z.batch * (a * (h + static_cast<double>(m.embed_dim())) +
                                 kScoreBytes * static_cast<double>(m.vocab));
  const bool host_attention = config.attention == AttentionPlace::kHost;
  z.device_workspace[0] = std::max(head, layer_workspace(m, a, z.batch, z.prompt, z.prompt));
  // Host attention computes the decode scores on the host: none on the device.
  z.device_workspace[1] = std::max(
      head, layer_workspace(m, a, z.batch, 1.0, host_attention ? 0.0 : z.kv_slots));
  // Host attention: q, k, v in and the output (4h) plus nh x context fp32 scores per sequence.
  z.host_workspace[1] = host_attention ? z.batch * (a * 4.0 * h + nh * z.kv_slots * kScoreBytes) : 0.0;
  return z;
}

}  // namespace strata
