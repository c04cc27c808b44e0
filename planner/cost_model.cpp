#include "planner/cost_model.h"

#include <algorithm>

#include "common/error.h"

namespace strata {

namespace {

using K = DataKind;
using T = Tier;
constexpr int kRead = static_cast<int>(Resource::kDiskRead);
constexpr int kH2D = static_cast<int>(Resource::kHostToDevice);
constexpr int kD2H = static_cast<int>(Resource::kDeviceToHost);
constexpr int kWrite = static_cast<int>(Resource::kDiskWrite);
constexpr int kCompute = static_cast<int>(Resource::kCompute);

// Bytes of logits per sequence sent to the host for sampling: fp32 over the vocabulary.
constexpr double kLogitBytes = 4.0;
// The executor's O_DIRECT block: KV cache disk transfers are whole blocks of a sequence's rows.
constexpr double kDiskBlockBytes = 4096.0;
// Backend ops one decoder layer of one micro-batch runs (OPT: 2 layer norms, 6 linears, 2 K/V
// row stores, attention, 2 residual adds, the activation; Llama's family runs 17 with RoPE and
// SiLU·mul for the activation).
constexpr double kOpsPerLayer = 14;
// Ops of the LM head stage: final norm, the head's linear, the logits to the sampler.
constexpr double kOpsPerHead = 3;
// Activation floats one token's layer reads and writes outside GEMMs and attention, per hidden
// and per FFN unit (OPT: layer norms 2 x 2h, bias adds on q, k, v, out, fc2 5 x 2h, residual
// adds 2 x 3h, K/V row stores 3h; fc1's bias and the activation 2 x 2 ffn; Llama's family stays
// below it).
constexpr double kElementwiseFloatsPerHidden = 23;
constexpr double kElementwiseFloatsPerFfn = 4;

// The prefill-shaped rate for a product of `rows` rows: the smaller probe's below
// kLargePrefillRows when the profile has it.
double prefill_flops(const HardwareProfile& hw, double rows) {
  const bool small = hw.device_gemm_small_prefill_flops > 0 && rows < double(kLargePrefillRows);
  return small ? hw.device_gemm_small_prefill_flops : hw.device_gemm_prefill_flops;
}

// One GEMM pass over a weight matrix of `weight_bytes` for `rows` token rows, plus one read of
// the stored weights (fused dequant reads stored bytes). Overlapped passes (one kernel streams
// the weights while it multiplies) take the longer of the two, the multiply at the phase's
// rate (`prefill_shaped`: the prefill rate for the row count; else the decode rate). Serial
// passes (hardware_profile.h: the CPU backend) add them, and their multiply runs at the rate of
// the kernel the row count gets: the decode-shaped one up to kDecodeKernelMaxRows rows, the
// prefill-shaped one above.
double gemm_seconds(const HardwareProfile& hw, double rows, double flops_per_row,
                    double weight_bytes, bool prefill_shaped) {
  const double weights = weight_bytes / hw.device_memory_bytes_per_s;
  if (hw.gemm_weight_pass == GemmWeightPass::kOverlapped) {
    const double rate = prefill_shaped ? prefill_flops(hw, rows) : hw.device_gemm_decode_flops;
    return std::max(rows * flops_per_row / rate, weights);
  }
  const double rate = rows <= double(kDecodeKernelMaxRows) ? hw.device_gemm_decode_flops
                                                           : prefill_flops(hw, rows);
  return rows * flops_per_row / rate + weights;
}

class StageBuilder {
 public:
  StageBuilder(const PlanInputs& in, const Policy& config, const BlockSizes& z)
      : hw_(in.hardware), config_(config), z_(z), hidden_(static_cast<double>(in.model.hidden)),
        ffn_(static_cast<double>(in.model.ffn)), vocab_(static_cast<double>(in.model.vocab)) {}

  // The layer's work that is neither a GEMM nor attention, for `rows` token rows per
  // micro-batch: its ops' fixed costs and its elementwise traffic (HardwareProfile's
  // device_op_seconds and device_elementwise_bytes_per_s; 0 = not charged).
  double layer_overhead(double rows) const {
    const double floats = kElementwiseFloatsPerHidden * hidden_ + kElementwiseFloatsPerFfn * ffn_;
    return z_.micro * (kOpsPerLayer * hw_.device_op_seconds +
                       elementwise_seconds(rows * floats * double(hw_.activation_bytes_per_element)));
  }

  double elementwise_seconds(double bytes) const {
    return hw_.device_elementwise_bytes_per_s > 0 ? bytes / hw_.device_elementwise_bytes_per_s
                                                  : 0.0;
  }

  // Weights of layer j+1 prefetched once per layer for all micro-batches: the disk share is read
  // into a host staging slot, then everything not on the device crosses host->device.
  void add_weight_prefetch(Stage& st, double bytes) const {
    st.busy[kRead].add(K::kWeights, T::kDisk, bytes / hw_.disk_read_bytes_per_s);
    st.busy[kH2D].add_off_device(K::kWeights, bytes / hw_.host_to_device_bytes_per_s);
  }

  // Hidden states of the N sequences (t tokens each): each micro-batch loads its input from its
  // home and stores its output back, so the off-device share crosses both ways per layer.
  void add_activation_traffic(Stage& st, double t) const {
    const double bytes = z_.block * t * z_.act_token;
    st.busy[kRead].add(K::kActivations, T::kDisk, bytes / hw_.disk_read_bytes_per_s);
    st.busy[kH2D].add_off_device(K::kActivations, bytes / hw_.host_to_device_bytes_per_s);
    st.busy[kD2H].add_off_device(K::kActivations, bytes / hw_.device_to_host_bytes_per_s);
    st.busy[kWrite].add(K::kActivations, T::kDisk, bytes / hw_.disk_write_bytes_per_s);
  }

  // New K/V of t tokens per sequence stored to its homes (device->host, then the disk share on).
  void add_cache_store(Stage& st, double t) const {
    const double bytes = z_.block * t * z_.kv_token;
    st.busy[kD2H].add_off_device(K::kCache, bytes / hw_.device_to_host_bytes_per_s);
    add_cache_disk_write(st, t);
  }

  // The disk share of t new K/V rows per sequence. O_DIRECT writes whole 4096-byte blocks of a
  // sequence's K region and of its V region: t rows of kv_token/2 bytes each start anywhere in
  // a block, so each region writes t*kv_token/2 + 4095 bytes of blocks on average (a decode
  // step's 432-byte q4 row of opt-125m costs a whole 4096-byte block).
  void add_cache_disk_write(Stage& st, double t) const {
    const double bytes = z_.block * (t * z_.kv_token + 2.0 * (kDiskBlockBytes - 1.0));
    st.busy[kWrite].add(K::kCache, T::kDisk, bytes / hw_.disk_write_bytes_per_s);
  }

  Stage prefill_layer() const {
    Stage st{"prefill layer", Phase::kPrefill, StageKind::kLayer, z_.layers, {}};
    add_weight_prefetch(st, z_.layer_weights);
    add_activation_traffic(st, z_.prompt);
    add_cache_store(st, z_.prompt);
    const double s = z_.prompt;
    // Causal attention: s(s+1)/2 (query, key) pairs x hidden, 2 FLOPs each, for QK^T and PV.
    const double attn_flops = z_.block * 2.0 * s * (s + 1.0) * hidden_;
    const double gemm = z_.micro * gemm_seconds(hw_, z_.batch * s, z_.bytes.layer_flops_per_token,
                                                z_.layer_weights, true);
    st.busy[kCompute].add(gemm + attn_flops / prefill_flops(hw_, z_.batch * s) +
                          layer_overhead(z_.batch * s));
    return st;
  }

  // Decode steps first..last (1-based; step i attends over s + i positions, s + i - 1 cached).
  Stage decode_layer(int64_t first, int64_t last) const {
    const double steps = static_cast<double>(last - first + 1);
    const double cached = z_.prompt + 0.5 * static_cast<double>(first + last) - 1.0;  // mean
    Stage st{str_cat("decode layer, steps ", first, "-", last), Phase::kDecode,
             StageKind::kLayer, z_.layers * steps, {}};
    add_weight_prefetch(st, z_.layer_weights);
    add_activation_traffic(st, 1.0);
    const double cache_bytes = z_.block * cached * z_.kv_token;  // cached K/V of the block
    st.busy[kRead].add(K::kCache, T::kDisk, cache_bytes / hw_.disk_read_bytes_per_s);
    const double gemm = z_.micro * gemm_seconds(hw_, z_.batch, z_.bytes.layer_flops_per_token,
                                                z_.layer_weights, false);
    const double scanned = z_.block * (cached + 1.0) * z_.kv_token;
    if (config_.attention == AttentionPlace::kDevice) {
      // KV of micro-batch k+1 loaded while k computes; attention scans the whole context.
      st.busy[kH2D].add_off_device(K::kCache, cache_bytes / hw_.host_to_device_bytes_per_s);
      add_cache_store(st, 1.0);
      st.busy[kCompute].add(gemm + scanned / hw_.device_attention_bytes_per_s +
                            layer_overhead(z_.batch));
    } else {
      // Attention on the host: q and the new K/V go down, the attention output comes back up.
      // It sits between the qkv and output GEMMs of the same micro-batch, so it adds to compute.
      const double down = z_.block * (z_.act_token + z_.kv_token);
      const double up = z_.block * z_.act_token;
      st.busy[kD2H].add(down / hw_.device_to_host_bytes_per_s);
      st.busy[kH2D].add(up / hw_.host_to_device_bytes_per_s);
      const double host = std::max(scanned / hw_.host_attention_bytes_per_s,
                                   z_.block * 4.0 * (cached + 1.0) * hidden_ / hw_.cpu_flops);
      st.busy[kCompute].add(gemm + host + layer_overhead(z_.batch));
      // The new K/V crossed in `down`; its disk share is written on from the host.
      add_cache_disk_write(st, 1.0);
    }
    return st;
  }

  // The embedding stage of every step: the executor moves the rows of its lookup tables (the
  // token table, OPT's positions) that the block's new tokens read, each at least a disk page
  // (a read of fewer bytes costs one anyway), and any other tensor of the stage whole.
  Stage embed(Phase phase, double count) const {
    Stage st{phase == Phase::kPrefill ? "prefill embedding" : "decode embedding", phase,
             StageKind::kEmbed, count, {}};
    const double tokens = z_.block * (phase == Phase::kPrefill ? z_.prompt : 1.0);
    const double lookup = static_cast<double>(z_.bytes.embed_lookup_weights);
    const double row = std::max(static_cast<double>(z_.bytes.embed_lookup_row_bytes), kDiskBlockBytes);
    add_weight_prefetch(st, z_.embed_weights - lookup + std::min(lookup, tokens * row));
    const double rows = z_.batch * (phase == Phase::kPrefill ? z_.prompt : 1.0);
    st.busy[kCompute].add(z_.micro * (hw_.device_op_seconds +
                                      elementwise_seconds(rows * hidden_ *
                                                          double(hw_.activation_bytes_per_element))));
    return st;
  }

  // LM head for the last position of every sequence; logits go to the host for sampling.
  Stage head(Phase phase, double count) const {
    Stage st{phase == Phase::kPrefill ? "prefill lm head" : "decode lm head", phase,
             StageKind::kHead, count, {}};
    add_weight_prefetch(st, z_.head_weights);
    st.busy[kD2H].add(z_.block * vocab_ * kLogitBytes / hw_.device_to_host_bytes_per_s);
    // Besides the GEMM: its ops, and the final norm's and the logits' traffic per sequence.
    const double floats = 2.0 * hidden_ + vocab_;
    st.busy[kCompute].add(
        z_.micro * (gemm_seconds(hw_, z_.batch, z_.bytes.head_flops_per_token, z_.head_weights,
                                 false) +
                    kOpsPerHead * hw_.device_op_seconds +
                    elementwise_seconds(z_.batch * floats * double(hw_.activation_bytes_per_element))));
    return st;
  }

 private:
  const HardwareProfile& hw_;
  const Policy& config_;
  const BlockSizes& z_;
  double hidden_;
  double ffn_;
  double vocab_;
};

}  // namespace

const char* to_string(Resource r) {
  switch (r) {
    case Resource::kDiskRead: return "disk read";
    case Resource::kHostToDevice: return "host->device";
    case Resource::kDeviceToHost: return "device->host";
    case Resource::kDiskWrite: return "disk write";
    case Resource::kCompute: return "compute";
  }
  return "?";
}

CostModel::CostModel(const PlanInputs& in, const Policy& config)
    : sizes_(block_sizes(in, config)), overlap_(config.overlap) {
  const StageBuilder builder(in, config, sizes_);
  stages_.push_back(builder.prefill_layer());
  stages_.push_back(builder.head(Phase::kPrefill, 1.0));
  const int64_t steps = in.workload.gen_len - 1;
  const int64_t segments = std::min<int64_t>(steps, kMaxDecodeSegments);
  for (int64_t g = 0; g < segments; ++g) {
    const int64_t first = 1 + g * steps / segments;
    const int64_t last = (g + 1) * steps / segments;
    stages_.push_back(builder.decode_layer(first, last));
  }
  if (steps > 0) stages_.push_back(builder.head(Phase::kDecode, static_cast<double>(steps)));
  // Listed last, so that the layers and heads keep their places (tests index them).
  stages_.push_back(builder.embed(Phase::kPrefill, 1.0));
  if (steps > 0) stages_.push_back(builder.embed(Phase::kDecode, static_cast<double>(steps)));
  // Overlapped disk transfers and copies still cost compute the share of their time that runs
  // on the compute cores (HardwareProfile::io_compute_share, copy_compute_share); without
  // overlap they are already summed.
  const double io_share = in.hardware.io_compute_share;
  const double copy_share = in.hardware.copy_compute_share;
  if (overlap_ == Overlap::kOn && (io_share > 0 || copy_share > 0)) {
    for (Stage& st : stages_) {
      LinearExpr disk = st.busy[kRead];
      disk += st.busy[kWrite];
      LinearExpr copies = st.busy[kH2D];
      copies += st.busy[kD2H];
      st.busy[kCompute] += disk.scaled(io_share);
      st.busy[kCompute] += copies.scaled(copy_share);
    }
  }
}

double CostModel::stage_seconds(const Stage& stage, const Policy& f) const {
  double max = 0, sum = 0;
  for (const LinearExpr& e : stage.busy) {
    const double v = e.at(f);
    max = std::max(max, v);
    sum += v;
  }
  return overlap_ == Overlap::kOn ? max : sum;
}

Prediction CostModel::predict(const Policy& f) const {
  Prediction p;
  // Busy time per resource in the layer stages of each phase, to name the bottleneck.
  std::array<double, kNumResources> layer_busy[2] = {};
  for (const Stage& st : stages_) {
    const bool prefill = st.phase == Phase::kPrefill;
    const double t = st.count * stage_seconds(st, f);
    (prefill ? p.prefill_seconds : p.decode_seconds) += t;
    for (int r = 0; r < kNumResources; ++r) {
      const double busy = st.busy[r].at(f) * st.count;
      p.busy_seconds[r] += busy;
      if (st.kind == StageKind::kLayer) layer_busy[prefill ? 0 : 1][r] += busy;
    }
    if (st.kind != StageKind::kLayer) continue;
    if (prefill) p.prefill_layer_seconds = stage_seconds(st, f);
    else p.decode_layer_seconds += t / (sizes_.layers * (sizes_.gen - 1.0));
  }
  auto argmax = [](const std::array<double, kNumResources>& a) {
    return static_cast<Resource>(std::max_element(a.begin(), a.end()) - a.begin());
  };
  p.prefill_bottleneck = argmax(layer_busy[0]);
  p.decode_bottleneck = argmax(layer_busy[1]);
  const double n = sizes_.block;
  p.total_seconds = p.prefill_seconds + p.decode_seconds;
  p.prefill_tokens_per_s = n * sizes_.prompt / p.prefill_seconds;
  p.decode_tokens_per_s = sizes_.gen > 1 ? n * (sizes_.gen - 1) / p.decode_seconds : 0.0;
  p.total_tokens_per_s = n * sizes_.gen / p.total_seconds;
  p.seconds_per_token = p.total_seconds / (n * sizes_.gen);
  return p;
}

Prediction predict(const PlanInputs& inputs, const Policy& policy) {
  validate(inputs);
  validate(policy);
  return CostModel(inputs, policy).predict(policy);
}

}  // namespace strata
