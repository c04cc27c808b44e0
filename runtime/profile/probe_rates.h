// The timed measurements behind probe_hardware (hardware_probe.h): host<->device copies through
// a backend's DeviceMemory, and its GEMM and decode attention ops on tensors in its device
// memory. Every timed run ends by finishing what it queued (finish(compute) after ops,
// finish(load/store) after copies), so an asynchronous backend is timed to its work's end.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/profile/hardware_probe.h"
#include "engine/backend/backend.h"

namespace strata {

// Median seconds of the runs of fn after one warm-up run: `reps` runs (at least 3), and more
// until they span kMinProbeSeconds. The median, not the best: the cost model predicts runs of
// seconds to hours, which sustain a shared machine's typical rates, and the best of a few
// millisecond-long runs caught quiet moments 20-40% above them (docs/benchmarks.md section 3).
// The span: runs of a millisecond, all inside one busy or quiet moment of a neighbour, moved
// the decode-shaped GEMM rate between 96 and 190 GFLOP/s from one profile to the next.
inline constexpr double kMinProbeSeconds = 0.2;

template <typename Fn>
double typical_seconds(int reps, Fn&& fn) {
  using Clock = std::chrono::steady_clock;
  fn();
  std::vector<double> seconds;
  double spent = 0;
  constexpr size_t kMaxRuns = 1000;
  while (seconds.size() < size_t(std::max(reps, 3)) ||
         (spent < kMinProbeSeconds && seconds.size() < kMaxRuns)) {
    const auto start = Clock::now();
    fn();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    spent += seconds.back();
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return std::max(seconds[seconds.size() / 2], 1e-9);
}

// Bytes per second of host->device (CopyQueue::load) and device->host (store) copies.
struct CopyRates {
  double load = 0, store = 0;
};

// Copies of `bytes` between `host` (host memory of at least that size) and a device block.
CopyRates copy_rates(DeviceMemory& memory, void* host, size_t bytes);

// memcpy between two host buffers of `bytes`: bytes copied per second (each read and written).
double memcpy_bytes_per_s(size_t bytes);

// y[m, n] = x[m, k] · w[n, k]ᵀ with random f16 weights (the stored dtype), all three in the
// backend's device memory, ready to queue.
class F16Product {
 public:
  F16Product(Backend& be, int64_t m, int64_t n, int64_t k, uint32_t seed);
  // Queues the product on the backend; finish(CopyQueue::compute) waits for it.
  void run() { be_.linear(x_, w_, Tensor(), y_); }

 private:
  Backend& be_;
  MemoryBlock x_block_, w_block_, y_block_;
  Tensor x_, w_, y_;
};

// Achieved FLOP/s of one F16Product, timed to its end. Small products take milliseconds, so
// callers give them more repetitions: on a shared machine the best of a handful is often slow.
double gemm_flops(Backend& be, int64_t m, int64_t n, int64_t k, int reps = 3);

// The weight pass of a GEMM as the backend runs it: stored weight bytes per second of one-row
// products (y[1, n] = x[1, k] · w[n, k]ᵀ, f16 weights) over enough distinct matrices to outgrow
// the last-level cache, i.e. what a decode step with a tiny batch pays per weight byte read from
// memory. The CPU backend widens f16 in registers inside the multiply (quant/half_gemm.h), so
// this is its DRAM read rate when the kernel keeps up; the cost model charges W / this rate per
// GEMM.
double gemm_weight_bytes_per_s(Backend& be, int64_t n, int64_t k);

// FLOP/s of F16Products of [m, n, k] over distinct matrices that together outgrow the last-level
// cache, as a model's layers do (gemm_flops times one matrix, from the cache after its first run).
double gemm_flops_from_memory(Backend& be, int64_t m, int64_t n, int64_t k, int reps = 3);

// A backend op's fixed cost (seconds per call of a 64-element add, in a run of calls) and the
// rate of elementwise work over activations ([1024, 1024] fp32 adds: bytes read and written per
// second): what a layer's norms, adds and activations cost (HardwareProfile).
struct ElementwiseRates {
  double op_seconds = 0;
  double bytes_per_s = 0;
};
ElementwiseRates elementwise_rates(Backend& be);

// Share of the time of back-to-back prefill-shaped products (`products` per timed run) lost while
// a thread copies host->device through the backend's DeviceMemory without pause: (together -
// alone) / together, in [0, 1] (HardwareProfile::copy_compute_share).
double copy_compute_share(Backend& be, const ProbeShapes& shapes);

// Decode attention (one query per sequence) over a full f16 cache (the default) in the backend's
// device memory: KV bytes scanned per second.
double attention_bytes_per_s(Backend& be, const ProbeAttentionShape& shape);

}  // namespace strata
