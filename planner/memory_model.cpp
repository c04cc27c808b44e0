#include "planner/memory_model.h"

#include "common/error.h"

namespace strata {

namespace {

using K = DataKind;
using T = Tier;

// Homes of everything on `tier`: all weights, the KV cache of the whole block at full length,
// and the hidden states of the block between layers (t tokens per sequence).
LinearExpr homes(const BlockSizes& z, Tier tier, double t) {
  LinearExpr e;
  e.add(K::kWeights, tier, z.all_weights);
  e.add(K::kCache, tier, z.layers * z.block * z.kv_slots * z.kv_token);
  e.add(K::kActivations, tier, z.block * t * z.act_token);
  return e;
}

}  // namespace

double capacity(const HardwareProfile& hw, Tier tier) {
  switch (tier) {
    case Tier::kDevice: return hw.device_capacity_bytes;
    case Tier::kHost: return hw.host_capacity_bytes;
    case Tier::kDisk: return hw.disk_capacity_bytes;
  }
  STRATA_CHECK(false, "unknown tier ", static_cast<int>(tier));
}

std::vector<PeakForm> peak_memory_forms(const PlanInputs& in, const Policy& config) {
  const BlockSizes z = block_sizes(in, config);
  const bool device_attention = config.attention == AttentionPlace::kDevice;
  std::vector<PeakForm> forms;
  for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
    const bool prefill = phase == Phase::kPrefill;
    const double t = prefill ? z.prompt : 1.0;  // tokens per sequence in flight
    // Device: two weight slots (layer j computing, j+1 arriving) for the off-device share; KV
    // staging of two micro-batches (prefill: new K/V being stored; decode with device attention:
    // loaded context); hidden states of the next and previous micro-batch in flight.
    LinearExpr dev = homes(z, T::kDevice, t);
    dev.add_off_device(K::kWeights, 2.0 * z.weight_buffer);
    const double kv_slot = prefill ? z.batch * z.prompt * z.kv_token
                                   : (device_attention ? z.batch * z.kv_slots * z.kv_token : 0.0);
    dev.add_off_device(K::kCache, 2.0 * kv_slot);
    dev.add_off_device(K::kActivations, 2.0 * z.batch * t * z.act_token);
    dev.add(z.device_workspace[prefill ? 0 : 1]);
    forms.push_back({T::kDevice, phase, dev});
    // Host: the same double-buffered slots bounce the disk-resident share through pinned memory.
    LinearExpr host = homes(z, T::kHost, t);
    host.add(K::kWeights, T::kDisk, 2.0 * z.weight_buffer);
    const double disk_kv_slot = z.batch * (prefill ? z.prompt : z.kv_slots) * z.kv_token;
    host.add(K::kCache, T::kDisk, 2.0 * disk_kv_slot);
    host.add(K::kActivations, T::kDisk, 2.0 * z.batch * t * z.act_token);
    host.add(z.host_workspace[prefill ? 0 : 1]);
    forms.push_back({T::kHost, phase, host});
  }
  forms.push_back({T::kDisk, Phase::kPrefill, homes(z, T::kDisk, z.prompt)});
  return forms;
}

}  // namespace strata
