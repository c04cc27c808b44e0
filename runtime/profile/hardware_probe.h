// Measures a HardwareProfile through the code paths the executor runs, on any backend:
//   - disk: io_uring O_DIRECT reads and writes of a test file in the offload directory;
//   - host<->device: be.memory().copy on the load / store queues + finish, from a pinned host
//     block (allocate_host: what the executor's host homes and staging are; the profile's rate)
//     and, for the progress line, from pageable memory (on the CPU backend both are memcpys);
//   - device compute: the backend's own linear and attention ops on tensors in device memory
//     (allocate_device, filled by copies), each timed run ending in finish(compute), so that
//     an asynchronous backend (CUDA) is timed to its work's end, not to its queueing;
//   - host compute (cpu_attention, cpu_flops): a CpuBackend over host memory — on the CPU
//     backend that is the device measurement itself, so the two are one.
// Both the CPU backend (f16 widened in registers inside the multiply) and cuBLAS stream the
// weights while they multiply (GemmWeightPass::kOverlapped: the rates are whole products'); the
// weight pass is timed over more weights than the last-level cache holds. Each figure is the best of a few timed repetitions after a
// warm-up, so that one slow outlier (another process, a page fault storm) does not become the
// plan's bottleneck.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "engine/backend/backend.h"
#include "planner/hardware_profile.h"

namespace strata {

// Decode attention's problem: q [batch, 1, hidden] over an fp32 KV cache [batch, slots, hidden].
struct ProbeAttentionShape {
  int64_t batch = 8, slots = 512, hidden = 1024, heads = 16;
};

// Problem sizes of the timed measurements: big enough that each takes long enough to time on
// the backend's device (default_probe_shapes), small in tests.
struct ProbeShapes {
  size_t copy_bytes = size_t(128) << 20;  // each host<->device copy and the host memcpy
  // Products y[m, n] = x[m, k] · w[n, k]ᵀ, f16 w: the one-row (weight pass) and decode-shaped
  // ones share w [weight_n, weight_k]; the prefill-shaped one is [prefill_m, prefill_n, prefill_k].
  int64_t weight_n = 2048, weight_k = 2048;
  int64_t prefill_m = 512, prefill_n = 1024, prefill_k = 1024;
  int io_share_products = 20;  // prefill products per timed run of io_compute_share
  ProbeAttentionShape attention;
};

// The CPU backend's shapes are today's (the cost model is tuned to figures measured at them);
// CUDA's are GPU-sized (a 128 MiB weight, 2048-row prefill, a 1 GiB KV cache).
ProbeShapes default_probe_shapes(BackendKind kind);

struct ProbeOptions {
  std::filesystem::path offload_dir;  // where the disk test file goes (removed afterwards)
  size_t disk_bytes = size_t(256) << 20;
  // 0: a quarter of physical RAM on the CPU backend, the GPU's total memory on CUDA.
  double device_capacity_bytes = 0;
  // Empty: default_probe_shapes of the backend (device) and of the CPU (host measurements).
  std::optional<ProbeShapes> shapes;
  std::function<void(const std::string&)> say;  // one line per measurement (progress)
};

HardwareProfile probe_hardware(Backend& backend, const ProbeOptions& options);

}  // namespace strata
