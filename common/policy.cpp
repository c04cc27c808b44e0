#include "common/policy.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace strata {

double fraction(const Placement& p, Tier tier) {
  switch (tier) {
    case Tier::kDevice: return p.device;
    case Tier::kHost: return p.host;
    case Tier::kDisk: return p.disk;
  }
  STRATA_CHECK(false, "unknown tier ", static_cast<int>(tier));
}

bool all_on_device(const Policy& p) {
  return p.weights.device >= 1.0 && p.cache.device >= 1.0 && p.activations.device >= 1.0;
}

const Placement& placement(const Policy& policy, DataKind kind) {
  switch (kind) {
    case DataKind::kWeights: return policy.weights;
    case DataKind::kCache: return policy.cache;
    case DataKind::kActivations: return policy.activations;
  }
  STRATA_CHECK(false, "unknown data kind ", static_cast<int>(kind));
}

Placement& placement(Policy& policy, DataKind kind) {
  return const_cast<Placement&>(placement(static_cast<const Policy&>(policy), kind));
}

namespace {

// The YAML field name of a placement, so messages name what the user wrote.
const char* field_name(DataKind kind) {
  switch (kind) {
    case DataKind::kWeights: return "weights";
    case DataKind::kCache: return "cache";
    case DataKind::kActivations: return "activations";
  }
  return "?";
}

void validate_placement(const Placement& p, DataKind kind) {
  for (Tier tier : {Tier::kDevice, Tier::kHost, Tier::kDisk}) {
    const double f = fraction(p, tier);
    STRATA_CHECK_INPUT(std::isfinite(f) && f >= 0.0 && f <= 1.0, "policy: ", field_name(kind), ".",
                       to_string(tier), " = ", f, " is outside [0, 1]");
  }
  const double sum = p.device + p.host + p.disk;
  STRATA_CHECK_INPUT(std::abs(sum - 1.0) <= 1e-6, "policy: ", field_name(kind),
                     " fractions sum to ", sum, " (device ", p.device, " + host ", p.host,
                     " + disk ", p.disk, "), must sum to 1");
}

}  // namespace

void validate(const Policy& policy) {
  STRATA_CHECK_INPUT(policy.gpu_batch_size >= 1, "policy: gpu_batch_size = ",
                     policy.gpu_batch_size, " must be >= 1");
  STRATA_CHECK_INPUT(policy.num_gpu_batches >= 1, "policy: num_gpu_batches = ",
                     policy.num_gpu_batches, " must be >= 1");
  for (DataKind kind : {DataKind::kWeights, DataKind::kCache, DataKind::kActivations}) {
    validate_placement(placement(policy, kind), kind);
  }
  // Host attention reads the KV cache where it lives; a device-resident share would need a
  // split softmax across tiers, which the executor does not do (docs/planner.md).
  STRATA_CHECK_INPUT(policy.attention == AttentionPlace::kDevice || policy.cache.device == 0.0,
                     "policy: cpu_attention needs the KV cache off the device, but cache.device = ",
                     policy.cache.device);
}

void set_flexgen_percent(Policy& policy, const std::array<double, 6>& percent) {
  static const char* const kNames[6] = {"W_DEV", "W_HOST", "C_DEV", "C_HOST", "A_DEV", "A_HOST"};
  for (int i = 0; i < 6; ++i) {
    STRATA_CHECK_INPUT(std::isfinite(percent[i]) && percent[i] >= 0.0 && percent[i] <= 100.0,
                       "percent ", kNames[i], " = ", percent[i], " is outside [0, 100]");
  }
  const DataKind kinds[3] = {DataKind::kWeights, DataKind::kCache, DataKind::kActivations};
  for (int k = 0; k < 3; ++k) {
    const double dev = percent[2 * k];
    const double host = percent[2 * k + 1];
    STRATA_CHECK_INPUT(dev + host <= 100.0 + 1e-9, "percent ", kNames[2 * k], " + ",
                       kNames[2 * k + 1], " = ", dev + host, " exceeds 100");
    Placement& p = placement(policy, kinds[k]);
    p.device = dev / 100.0;
    p.host = host / 100.0;
    p.disk = std::max(0.0, 1.0 - p.device - p.host);
  }
}

std::array<double, 6> flexgen_percent(const Policy& policy) {
  return {policy.weights.device * 100, policy.weights.host * 100,
          policy.cache.device * 100,   policy.cache.host * 100,
          policy.activations.device * 100, policy.activations.host * 100};
}

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::kDevice: return "device";
    case Tier::kHost: return "host";
    case Tier::kDisk: return "disk";
  }
  return "?";
}

const char* to_string(DataKind kind) {
  switch (kind) {
    case DataKind::kWeights: return "weights";
    case DataKind::kCache: return "KV cache";
    case DataKind::kActivations: return "activations";
  }
  return "?";
}

const char* to_string(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kQ4: return "q4";
    case Compression::kQ8: return "q8";
  }
  return "?";
}

const char* to_string(CacheDType dtype) {
  switch (dtype) {
    case CacheDType::kF16: return "f16";
    case CacheDType::kBF16: return "bf16";
    case CacheDType::kF32: return "f32";
  }
  return "?";
}

const char* to_string(AttentionPlace place) {
  return place == AttentionPlace::kHost ? "host" : "device";
}

Compression parse_compression(const std::string& text) {
  for (Compression c : {Compression::kNone, Compression::kQ4, Compression::kQ8}) {
    if (text == to_string(c)) return c;
  }
  fail_input("unknown compression '", text, "' (expected none, q4 or q8)");
}

CacheDType parse_cache_dtype(const std::string& text, const char* what) {
  for (CacheDType d : {CacheDType::kF16, CacheDType::kBF16, CacheDType::kF32}) {
    if (text == to_string(d)) return d;
  }
  fail_input(what, ": '", text, "' is not a KV cache dtype (accepted: f16, bf16, f32)");
}

}  // namespace strata
