#include "planner/hardware_profile.h"

#include <cmath>
#include <utility>

#include "common/error.h"

namespace strata {

const char* to_string(GemmWeightPass pass) {
  return pass == GemmWeightPass::kSerial ? "serial" : "overlapped";
}

void validate(const HardwareProfile& p) {
  const std::pair<const char*, double> fields[] = {
      {"host_to_device_bytes_per_s", p.host_to_device_bytes_per_s},
      {"device_to_host_bytes_per_s", p.device_to_host_bytes_per_s},
      {"disk_read_bytes_per_s", p.disk_read_bytes_per_s},
      {"disk_write_bytes_per_s", p.disk_write_bytes_per_s},
      {"device_gemm_prefill_flops", p.device_gemm_prefill_flops},
      {"device_gemm_decode_flops", p.device_gemm_decode_flops},
      {"device_memory_bytes_per_s", p.device_memory_bytes_per_s},
      {"device_attention_bytes_per_s", p.device_attention_bytes_per_s},
      {"host_attention_bytes_per_s", p.host_attention_bytes_per_s},
      {"cpu_flops", p.cpu_flops},
      {"dram_bytes_per_s", p.dram_bytes_per_s},
      {"device_capacity", p.device_capacity_bytes},
      {"host_capacity", p.host_capacity_bytes},
      {"disk_capacity", p.disk_capacity_bytes},
  };
  const std::string who = p.name.empty() ? "hardware profile" : "hardware profile " + p.name;
  for (const auto& [field, value] : fields) {
    STRATA_CHECK_INPUT(std::isfinite(value) && value > 0, who, ": ", field, " = ", value,
                       " must be a positive number");
  }
  STRATA_CHECK_INPUT(std::isfinite(p.device_elementwise_bytes_per_s) &&
                         p.device_elementwise_bytes_per_s >= 0,
                     who, ": device_elementwise_bytes_per_s = ", p.device_elementwise_bytes_per_s,
                     " must be a rate, or 0 (not measured)");
  STRATA_CHECK_INPUT(std::isfinite(p.device_gemm_small_prefill_flops) &&
                         p.device_gemm_small_prefill_flops >= 0,
                     who, ": device_gemm_small_prefill_flops = ", p.device_gemm_small_prefill_flops,
                     " must be a rate, or 0 (not measured)");
  STRATA_CHECK_INPUT(std::isfinite(p.device_op_seconds) && p.device_op_seconds >= 0 &&
                         p.device_op_seconds < 1,
                     who, ": device_op_seconds = ", p.device_op_seconds,
                     " must be in [0, 1) (0: not measured)");
  STRATA_CHECK_INPUT(std::isfinite(p.copy_compute_share) && p.copy_compute_share >= 0 &&
                         p.copy_compute_share <= 1,
                     who, ": copy_compute_share = ", p.copy_compute_share, " must be in [0, 1]");
  STRATA_CHECK_INPUT(std::isfinite(p.io_compute_share) && p.io_compute_share >= 0 &&
                         p.io_compute_share <= 1,
                     who, ": io_compute_share = ", p.io_compute_share, " must be in [0, 1]");
  STRATA_CHECK_INPUT(p.activation_bytes_per_element == 2 || p.activation_bytes_per_element == 4,
                     who, ": activation_bytes_per_element = ", p.activation_bytes_per_element,
                     " must be 2 or 4");
}

HardwareProfile t4_flexgen_profile() {
  constexpr double GiB = 1024.0 * 1024.0 * 1024.0;  // FlexGen's "GB" is 2^30 (flexgen/utils.py)
  constexpr double T = 1e12;
  HardwareProfile p;
  p.name = "t4-flexgen";
  // FlexGen's fitted pinned CPU->GPU rate; PCIe 3.0 x16 is symmetric, and Strata's host KV and
  // staging buffers are pinned, so the same rate is used device->host (FlexGen's 0.97 GB/s was
  // its unpinned cache path).
  p.host_to_device_bytes_per_s = 12.89 * GiB;
  p.device_to_host_bytes_per_s = 12.89 * GiB;
  // The SSD reads ~2 GB/s raw (REFERENCE.md), which O_DIRECT io_uring reaches; FlexGen's best
  // fitted write rate (CPU->disk, hidden states) was 2.015 GB/s.
  p.disk_read_bytes_per_s = 2.0e9;
  p.disk_write_bytes_per_s = 2.015 * GiB;
  // FlexGen's fitted GEMM rates (cost_model.py mm_flops_p / mm_flops_g); T4 GDDR6 320 GB/s nominal.
  p.device_gemm_prefill_flops = 21.24 * T;
  p.device_gemm_decode_flops = 4.3 * T;
  p.device_memory_bytes_per_s = 320e9;
  // FlexGen's decode attention terms divide 4*b*L*h (= KV bytes at fp16) by bmm_flops_g and
  // cpu_flops, so those fitted "FLOP/s" are KV bytes scanned per second.
  p.device_attention_bytes_per_s = 0.079 * T;
  p.host_attention_bytes_per_s = 0.0123 * T;
  p.cpu_flops = 0.0123 * T;
  p.dram_bytes_per_s = 50e9;  // assumed: not given by FlexGen
  p.activation_bytes_per_element = 2;
  // FlexGen's cost model: 15 GB usable of the 16 GB T4; 204 GB of 208 GB DRAM; 1500 GB SSD.
  p.device_capacity_bytes = 15 * GiB;
  p.host_capacity_bytes = 204 * GiB;
  p.disk_capacity_bytes = 1500 * GiB;
  return p;
}

}  // namespace strata
