// HardwareProfile: the measured (or given) speeds and capacities the cost model runs on.
// `strata profile` measures it and caches it as YAML (hardware_profile_yaml.h). On the CPU
// backend "device" is the budgeted RAM arena and host<->device "copies" are memcpys: the same
// fields hold with that backend's numbers. Units: bytes, bytes/s, FLOP/s.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

struct HardwareProfile {
  std::string name;
  // Links (pinned host memory; the disk through the executor's io_uring O_DIRECT path).
  double host_to_device_bytes_per_s = 0;
  double device_to_host_bytes_per_s = 0;
  double disk_read_bytes_per_s = 0;
  double disk_write_bytes_per_s = 0;
  // Device compute. GEMM rates are achieved FLOP/s for the two shapes that occur: prefill
  // (gpu_batch_size * prompt_len rows) and decode (gpu_batch_size rows). A GEMM also takes at
  // least its weight bytes / device_memory_bytes_per_s (decode with small batches is memory bound).
  double device_gemm_prefill_flops = 0;
  double device_gemm_decode_flops = 0;
  double device_memory_bytes_per_s = 0;
  // Decode attention is a scan over the KV cache, so its throughput is given in KV bytes scanned
  // per second (stored format, K and V together) rather than FLOP/s. Prefill attention is
  // GEMM-shaped and is charged at device_gemm_prefill_flops.
  double device_attention_bytes_per_s = 0;
  double host_attention_bytes_per_s = 0;
  // Host compute: cpu_flops bounds host attention from the other side (4 FLOPs per cached
  // position per hidden unit); dram_bytes_per_s is recorded for reports and CPU-backend presets,
  // host_attention_bytes_per_s already reflects it.
  double cpu_flops = 0;
  double dram_bytes_per_s = 0;
  // Bytes per element of activations on the compute device: 2 on CUDA (fp16), 4 on CPU (fp32).
  int64_t activation_bytes_per_element = 2;
  // Usable capacities of the three tiers (what Strata may take, after the OS and CUDA context).
  double device_capacity_bytes = 0;
  double host_capacity_bytes = 0;
  double disk_capacity_bytes = 0;
};

// Throws InputError naming the first field that is not positive and finite.
void validate(const HardwareProfile& profile);

// FlexGen's GCP box: one T4 16 GB, 208 GB DRAM, 1.5 TB SSD, PCIe 3.0 x16 (docs/planner.md
// lists the source of every number).
HardwareProfile t4_flexgen_profile();

}  // namespace strata
