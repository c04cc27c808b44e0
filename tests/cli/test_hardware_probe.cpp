// probe_hardware (strata profile) on ut::SeparateMemoryBackend, whose device memory is kept
// apart from host memory: every tensor the probe hands an op must be device memory filled by
// copies, every copy must go its queue's way, and every measured rate must be positive and
// finite. Run as a CPU backend (overlapped weight pass, measured io_compute_share) and as a "CUDA"
// one (the GPU paths: overlapped pass, host figures from a separate CpuBackend), on small shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/profile/hardware_probe.h"
#include "engine/separate_device_memory.h"
#include "engine/test_support.h"

namespace strata::cli {
namespace {

// A few milliseconds per measurement on two cores.
ProbeShapes small_shapes() {
  ProbeShapes s;
  s.copy_bytes = size_t(4) << 20;
  s.weight_n = s.weight_k = 256;
  s.prefill_m = 64;
  s.prefill_n = s.prefill_k = 256;
  s.io_share_products = 4;
  s.attention = {2, 64, 256, 4};
  return s;
}

bool rate(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

TEST_CASE("probe_hardware measures through the backend's device memory", "[profile]") {
  const BackendKind kind = GENERATE(BackendKind::cpu, BackendKind::cuda);
  CAPTURE(kind == BackendKind::cpu ? "cpu" : "cuda");
  ut::SeparateMemoryBackend be(kind);
  ut::TempDir dir;
  ProbeOptions o;
  o.offload_dir = dir.path();
  o.disk_bytes = size_t(8) << 20;
  o.device_capacity_bytes = double(size_t(1) << 30);  // CUDA: no cudaMemGetInfo without a GPU
  o.shapes = small_shapes();
  std::vector<std::string> lines;
  o.say = [&](const std::string& line) { lines.push_back(line); };

  const HardwareProfile p = probe_hardware(be, o);

  const std::vector<std::string> problems = be.separate_memory().problems();
  for (const std::string& problem : problems) UNSCOPED_INFO(problem);
  CHECK(problems.empty());
  CHECK(be.separate_memory().copied(CopyQueue::load) > 0);
  CHECK(be.separate_memory().copied(CopyQueue::store) > 0);

  CHECK(rate(p.host_to_device_bytes_per_s));
  CHECK(rate(p.device_to_host_bytes_per_s));
  CHECK(rate(p.disk_read_bytes_per_s));
  CHECK(rate(p.disk_write_bytes_per_s));
  CHECK(rate(p.device_gemm_prefill_flops));
  CHECK(rate(p.device_gemm_decode_flops));
  CHECK(rate(p.device_gemm_small_prefill_flops));
  CHECK(rate(p.device_memory_bytes_per_s));
  CHECK(rate(p.device_attention_bytes_per_s));
  CHECK(rate(p.host_attention_bytes_per_s));
  CHECK(rate(p.cpu_flops));
  CHECK(rate(p.dram_bytes_per_s));
  CHECK(rate(p.device_elementwise_bytes_per_s));
  CHECK((p.device_op_seconds > 0 && p.device_op_seconds < 1e-2));
  CHECK(rate(p.host_capacity_bytes));
  CHECK(rate(p.disk_capacity_bytes));
  CHECK(p.device_capacity_bytes == o.device_capacity_bytes);
  CHECK(p.activation_bytes_per_element == 4);
  CHECK((p.io_compute_share >= 0 && p.io_compute_share <= 1));
  CHECK((p.copy_compute_share >= 0 && p.copy_compute_share <= 1));
  CHECK(p.probe_version == kProbeVersion);

  if (kind == BackendKind::cpu) {
    // Widened in the multiply, but loads and FMAs share the core: the costs add.
    CHECK(p.gemm_weight_pass == GemmWeightPass::kSerial);
    // The CPU backend's device is the host: one measurement serves both.
    CHECK(p.host_attention_bytes_per_s == p.device_attention_bytes_per_s);
    CHECK(p.cpu_flops == p.device_gemm_prefill_flops);
  } else {
    CHECK(p.gemm_weight_pass == GemmWeightPass::kOverlapped);
    CHECK(p.io_compute_share == 0);
    CHECK(p.copy_compute_share == 0);  // DMA copies
  }
  // The progress line reports pinned and pageable copies.
  bool copies_reported = false;
  for (const std::string& line : lines) {
    copies_reported |= line.find("pinned") != std::string::npos &&
                       line.find("pageable") != std::string::npos;
  }
  CHECK(copies_reported);
  // The disk test file is gone.
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("the CPU backend's probe shapes are the ones the cost model is tuned at", "[profile]") {
  const ProbeShapes s = default_probe_shapes(BackendKind::cpu);
  CHECK(s.copy_bytes == size_t(128) << 20);
  CHECK((s.weight_n == 2048 && s.weight_k == 2048));
  CHECK((s.prefill_m == 512 && s.prefill_n == 1024 && s.prefill_k == 1024));
  CHECK(s.io_share_products == 20);
  CHECK((s.attention.batch == 8 && s.attention.slots == 512 && s.attention.hidden == 1024 &&
         s.attention.heads == 16));
  const ProbeShapes g = default_probe_shapes(BackendKind::cuda);
  CHECK(g.attention.hidden / g.attention.heads <= 128);  // the CUDA attention kernel's limit
}

}  // namespace strata::cli
