// HardwareProfile: the measured (or given) speeds and capacities the cost model runs on.
// `strata profile` measures it and caches it as YAML (hardware_profile_yaml.h). On the CPU
// backend "device" is the budgeted RAM arena and host<->device "copies" are memcpys: the same
// fields hold with that backend's numbers. Units: bytes, bytes/s, FLOP/s.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// How a GEMM's two costs — reading (and decoding) the weights, and the multiply — combine.
// kOverlapped: the weight stream hides behind the multiply or the other way round (cuBLAS, the
// fused dequant GEMM on a GPU), so a GEMM takes the longer of the two. kSerial: the two add. The
// CPU backend's decode kernel widens f16 weights in registers inside the multiply, but its loads,
// widening and FMAs share each core's issue slots: at 1-32 rows its time is the one-row weight
// pass plus the rows' multiply within ~15% (docs/benchmarks.md section 9), while the max of the
// two was 15-30% optimistic; its prefill path widens tiles, then multiplies.
enum class GemmWeightPass { kOverlapped, kSerial };
const char* to_string(GemmWeightPass pass);

// Rows of the decode-shaped product `strata profile` times (device_gemm_decode_flops).
constexpr int64_t kDecodeProbeRows = 8;
// With kSerial passes, products of up to this many rows multiply at the decode-shaped rate and
// wider ones at the prefill-shaped rate: the CPU backend's in-register kernel takes up to 64 rows
// (quant::kHalfDirectMaxM), wider products go to oneDNN.
constexpr int64_t kDecodeKernelMaxRows = 64;
// Rows of the smaller prefill-shaped product `strata profile` times
// (device_gemm_small_prefill_flops). Products of fewer than kLargePrefillRows rows multiply at
// that rate when it was measured (a block of 4 sequences of 32 tokens is a 128-row product, and
// ran at half the 512-row rate on the CPU backend); larger ones at device_gemm_prefill_flops.
constexpr int64_t kSmallPrefillProbeRows = 128;
constexpr int64_t kLargePrefillRows = 512;

// What the probes of this Strata measure. A cached profile written by an older probe (or with no
// version: hand-written, or before versions) is measured again by `run`/`bench`/`plan`, since
// its figures mean something else (version 4: each rate's runs span at least 0.2 s; version 3:
// rates are medians of the probe runs, not the best; version 2: the CPU's serial weight pass and
// the f16 KV cache; version 1 timed an fp32 KV cache and a serial convert-then-sgemm weight
// pass). Bumped whenever a probe changes what it measures.
constexpr int kProbeVersion = 4;

struct HardwareProfile {
  std::string name;
  int probe_version = 0;  // kProbeVersion when `strata profile` wrote it; 0: unknown / by hand
  // Links (pinned host memory; the disk through the executor's io_uring O_DIRECT path).
  double host_to_device_bytes_per_s = 0;
  double device_to_host_bytes_per_s = 0;
  double disk_read_bytes_per_s = 0;
  double disk_write_bytes_per_s = 0;
  // Device compute. GEMM rates are achieved FLOP/s for the two shapes that occur: prefill
  // (gpu_batch_size * prompt_len rows) and decode (gpu_batch_size rows). A GEMM also spends its
  // weight bytes / device_memory_bytes_per_s reading the weights: with kOverlapped passes the
  // GEMM takes the max of the two (decode with small batches is memory bound), with kSerial
  // passes their sum, and the FLOP rates are then those of the multiply alone (weights in
  // cache), the decode rate for up to kDecodeKernelMaxRows rows (docs/planner.md section 3).
  double device_gemm_prefill_flops = 0;
  double device_gemm_decode_flops = 0;
  double device_gemm_small_prefill_flops = 0;  // optional: kSmallPrefillProbeRows rows; 0: unknown
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
  // The same for host<->device copies: on the CPU backend a "copy" is a memcpy by a copy worker
  // on the cores and the memory bus the GEMMs use, and it barely overlaps them (docs/benchmarks.md
  // section 3: weights on the host ran copy time + compute time); a GPU's DMA copies leave it 0.
  double copy_compute_share = 0;
  // The work of a layer that is not a GEMM or attention (layer norms, bias and residual adds,
  // activations, RoPE, writing the new K/V rows) and the fixed cost of each op the backend runs:
  // a decode step of a small model at a small batch is hundreds of short ops. Elementwise work is
  // charged in activation bytes read and written (cost_model.cpp: kElementwiseFloatsPerToken);
  // each layer of each micro-batch also pays kOpsPerLayer x device_op_seconds. 0 where not
  // measured (profiles before probe version 2, FlexGen's T4 figures): not charged.
  double device_elementwise_bytes_per_s = 0;
  double device_op_seconds = 0;
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
