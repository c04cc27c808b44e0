// HardwareProfile: the measured (or given) speeds and capacities the cost model runs on.
// `strata profile` measures it and caches it as YAML (hardware_profile_yaml.h). On the CPU
// backend "device" is the budgeted RAM arena and host<->device "copies" are memcpys: the same
// fields hold with that backend's numbers. Units: bytes, bytes/s, FLOP/s.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// How a GEMM's two costs — reading (and decoding) the weights, and the multiply — combine.
// kOverlapped: one kernel streams the weights while it multiplies (cuBLAS, the fused dequant
// GEMM), so a GEMM takes the longer of the two. kSerial: the weights are first converted to
// fp32 tiles and then multiplied (the CPU backend's f16/bf16 path), so the two add.
enum class GemmWeightPass { kOverlapped, kSerial };
const char* to_string(GemmWeightPass pass);

// Rows of the decode-shaped product `strata profile` times (device_gemm_decode_flops).
constexpr int64_t kDecodeProbeRows = 8;

struct HardwareProfile {
  std::string name;
  // Links (pinned host memory; the disk through the executor's io_uring O_DIRECT path).
  double host_to_device_bytes_per_s = 0;
  double device_to_host_bytes_per_s = 0;
  double disk_read_bytes_per_s = 0;
  double disk_write_bytes_per_s = 0;
  // Device compute. GEMM rates are achieved FLOP/s for the two shapes that occur: prefill
  // (gpu_batch_size * prompt_len rows) and decode (gpu_batch_size rows). A GEMM also spends its
  // weight bytes / device_memory_bytes_per_s reading the weights: with kOverlapped passes the
  // GEMM takes the max of the two (decode with small batches is memory bound), with kSerial
  // passes their sum, and the FLOP rates are then those of the multiply alone (docs/planner.md
  // section 3: a serial multiply of r rows takes max(r / prefill rate, kDecodeProbeRows /
  // decode rate) per FLOP of one row).
  double device_gemm_prefill_flops = 0;
  double device_gemm_decode_flops = 0;
  double device_memory_bytes_per_s = 0;
  GemmWeightPass gemm_weight_pass = GemmWeightPass::kOverlapped;
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
  // Share of the disk's busy time that also takes compute time when transfers overlap compute:
  // on the CPU backend the I/O threads and the kernel's completion work run on the cores the
  // GEMMs use (measured by `strata profile`: GEMMs timed alone and during disk reads); 0 where
  // the disk path does not compete with compute (a GPU).
  double io_compute_share = 0;
  // Bytes per element of activations on the compute device: 4 (fp32 on both backends; the
  // profile probe records it; the default 2 is FlexGen's fp16 for its T4 preset).
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
