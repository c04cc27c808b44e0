#include "runtime/profile/hardware_probe.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "runtime/profile/probe_disk.h"
#include "runtime/profile/probe_rates.h"
#include "common/error.h"
#include "offload/aligned_buffer.h"
#include "planner/byte_size.h"
#ifdef STRATA_WITH_CUDA
#include "engine/cuda/cuda_probe.h"
#endif

namespace strata {
namespace {

using Say = std::function<void(const std::string&)>;

std::string gflops(double flops) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f GFLOP/s", flops / 1e9);
  return text;
}

// Host<->device links through be.memory(). The profile records the pinned rates: the executor's
// host homes and staging blocks are allocate_host blocks. Pageable rates are only reported (on a
// GPU they show what pinning buys; on the CPU backend both are memcpys).
void probe_links(DeviceMemory& memory, const ProbeShapes& shapes, HardwareProfile& p,
                 const Say& say) {
  const size_t bytes = shapes.copy_bytes;
  MemoryBlock pinned = memory.allocate_host(bytes);
  AlignedBuffer pageable(bytes);
  const CopyRates fast = copy_rates(memory, pinned.data(), bytes);
  const CopyRates slow = copy_rates(memory, pageable.data(), bytes);
  p.host_to_device_bytes_per_s = fast.load;
  p.device_to_host_bytes_per_s = fast.store;
  const std::string how = memory.host_addressable() ? " (memcpys: the CPU backend's device is RAM)"
                                                    : "";
  say("host->device copies: pinned " + format_gib(fast.load) + "/s, pageable " +
      format_gib(slow.load) + "/s" + how);
  say("device->host copies: pinned " + format_gib(fast.store) + "/s, pageable " +
      format_gib(slow.store) + "/s");
  const double host_copy = memcpy_bytes_per_s(bytes);
  p.dram_bytes_per_s = 2.0 * host_copy;  // a copy reads and writes
  say("host memory: memcpy " + format_gib(host_copy) + "/s");
}

// GEMM rates on the backend's device. cuBLAS streams the weights while it multiplies: a GEMM
// takes the longer of the two (GemmWeightPass::kOverlapped) and the rates are whole products'.
// The CPU backend widens f16 weights in registers inside the multiply, but the loads, widening
// and FMAs share each core, so its two costs add (kSerial, hardware_profile.h): the weight pass
// is the one-row product less its multiply at the decode-shaped rate, and the decode-shaped
// rate is the multiply's own (one [weight_n, weight_k] matrix, run again and again: from cache).
void probe_device_gemm(Backend& be, const ProbeShapes& s, HardwareProfile& p, const Say& say) {
  const double one_row = gemm_weight_bytes_per_s(be, s.weight_n, s.weight_k);
  p.device_gemm_prefill_flops = gemm_flops(be, s.prefill_m, s.prefill_n, s.prefill_k);
  // A small prefill's products are short enough that where their weights come from matters.
  p.device_gemm_small_prefill_flops =
      gemm_flops_from_memory(be, kSmallPrefillProbeRows, s.prefill_n, s.prefill_k);
  p.device_gemm_decode_flops = gemm_flops(be, kDecodeProbeRows, s.weight_n, s.weight_k, 15);
  say("GEMM: prefill-shaped " + gflops(p.device_gemm_prefill_flops) + " (" +
      std::to_string(kSmallPrefillProbeRows) + " rows: " +
      gflops(p.device_gemm_small_prefill_flops) + "), decode-shaped " +
      gflops(p.device_gemm_decode_flops));
  if (be.kind() != BackendKind::cpu) {
    p.gemm_weight_pass = GemmWeightPass::kOverlapped;
    p.device_memory_bytes_per_s = one_row;
    say("GEMM weight pass (one row, f16 weights, from memory): " + format_gib(one_row) +
        "/s of weights, overlapped with the multiply");
    return;
  }
  p.gemm_weight_pass = GemmWeightPass::kSerial;
  // A one-row product of f16 weights does one FLOP per weight byte; keep at least a tenth of its
  // time as the pass, should a noisy decode-rate measurement claim more.
  const double pass_seconds_per_byte =
      std::max(1.0 / one_row - 1.0 / p.device_gemm_decode_flops, 0.1 / one_row);
  p.device_memory_bytes_per_s = 1.0 / pass_seconds_per_byte;
  say("GEMM weight pass (f16 weights, from memory): " + format_gib(p.device_memory_bytes_per_s) +
      "/s of weights, then the multiply (one-row products: " + format_gib(one_row) + "/s)");
}

// cpu_flops and host (cpu_attention) decode attention: on the CPU backend the device figures
// are these, measured over RAM; otherwise a CpuBackend's, over host memory, at the CPU's shapes.
void probe_host_compute(Backend& be, const ProbeOptions& o, HardwareProfile& p, const Say& say) {
  if (be.kind() == BackendKind::cpu) {
    p.cpu_flops = p.device_gemm_prefill_flops;
    p.host_attention_bytes_per_s = p.device_attention_bytes_per_s;
    return;
  }
  const std::unique_ptr<Backend> cpu = make_backend(BackendKind::cpu);
  const ProbeShapes s = o.shapes.value_or(default_probe_shapes(BackendKind::cpu));
  p.cpu_flops = gemm_flops(*cpu, s.prefill_m, s.prefill_n, s.prefill_k);
  p.host_attention_bytes_per_s = attention_bytes_per_s(*cpu, s.attention);
  say("host (CPU backend): GEMM " + gflops(p.cpu_flops) + ", decode attention " +
      format_gib(p.host_attention_bytes_per_s) + "/s of KV cache scanned");
}

double physical_ram_bytes() {
  return double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGE_SIZE));
}

double free_disk_bytes(const std::filesystem::path& dir) {
  struct statvfs s {};
  STRATA_CHECK_INPUT(::statvfs(dir.c_str(), &s) == 0, dir.string(),
                     ": cannot stat the file system");
  return double(s.f_bavail) * double(s.f_frsize);
}

// The GPU's whole memory, as cudaMemGetInfo reports it.
double gpu_memory_bytes() {
#ifdef STRATA_WITH_CUDA
  return double(cuda::cuda_memory_info().total);
#else
  fail_input("the GPU's memory: this strata was built without CUDA; give --device-mem");
#endif
}

// On the CPU backend the device is a share of RAM, so host capacity is what RAM has left.
void set_capacities(Backend& be, const ProbeOptions& o, HardwareProfile& p, const Say& say) {
  const double ram = physical_ram_bytes();
  if (be.kind() == BackendKind::cpu) {
    p.device_capacity_bytes = o.device_capacity_bytes > 0 ? o.device_capacity_bytes : ram / 4;
    p.host_capacity_bytes = std::max(ram * 0.75 - p.device_capacity_bytes, ram / 8);
  } else {
    p.device_capacity_bytes =
        o.device_capacity_bytes > 0 ? o.device_capacity_bytes : gpu_memory_bytes();
    p.host_capacity_bytes = ram * 0.75;
  }
  p.disk_capacity_bytes = free_disk_bytes(o.offload_dir) * 0.9;
  say("capacities: device " + format_gib(p.device_capacity_bytes) + ", host " +
      format_gib(p.host_capacity_bytes) + ", disk " + format_gib(p.disk_capacity_bytes));
}

}  // namespace

ProbeShapes default_probe_shapes(BackendKind kind) {
  ProbeShapes s;
  if (kind == BackendKind::cuda) {
    s.copy_bytes = size_t(256) << 20;
    s.weight_n = s.weight_k = 8192;  // 128 MiB of f16: microseconds of launch are noise
    s.prefill_m = 2048;
    s.prefill_n = s.prefill_k = 8192;
    s.attention = {16, 2048, 4096, 32};  // head_dim 128, 1 GiB of K and V
  }
  return s;
}

HardwareProfile probe_hardware(Backend& be, const ProbeOptions& o) {
  STRATA_CHECK_INPUT(std::filesystem::is_directory(o.offload_dir), o.offload_dir.string(),
                     ": the offload directory does not exist");
  const Say say = [&](const std::string& line) {
    if (o.say) o.say(line);
  };
  const bool cpu = be.kind() == BackendKind::cpu;
  const ProbeShapes shapes = o.shapes.value_or(default_probe_shapes(be.kind()));
  HardwareProfile p;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  p.name = std::string(host) + (cpu ? "-cpu" : "-cuda");

  probe_links(be.memory(), shapes, p, say);

  ProbeFile file;
  file.path = o.offload_dir / ("strata-profile-" + std::to_string(::getpid()) + ".tmp");
  const DiskRates disk = disk_rates(o, be.memory(), file);
  p.disk_read_bytes_per_s = disk.read;
  p.disk_write_bytes_per_s = disk.write;
  say("disk through io_uring" +
      std::string(disk.direct ? " (O_DIRECT)"
                              : " (buffered: O_DIRECT refused, figures include the page cache)") +
      ": read " + format_gib(disk.read) + "/s, write " + format_gib(disk.write) + "/s");

  probe_device_gemm(be, shapes, p, say);
  // On the CPU backend the disk worker's submissions and completions take the GEMMs' cores; a
  // GPU's GEMMs do not share them, so its profile leaves the share 0 (docs/planner.md section 4).
  if (cpu) {
    p.io_compute_share = io_compute_share(be, shapes, file);
    say("disk reads slow overlapped GEMMs by " +
        std::to_string(int(p.io_compute_share * 100 + 0.5)) + "% of their time (io_compute_share)");
    // Its host<->device copies are memcpys on the same cores and memory bus.
    p.copy_compute_share = copy_compute_share(be, shapes);
    say("host->device copies slow overlapped GEMMs by " +
        std::to_string(int(p.copy_compute_share * 100 + 0.5)) +
        "% of their time (copy_compute_share)");
  }

  const ElementwiseRates elementwise = elementwise_rates(be);
  p.device_op_seconds = elementwise.op_seconds;
  p.device_elementwise_bytes_per_s = elementwise.bytes_per_s;
  char op_text[64];
  std::snprintf(op_text, sizeof op_text, "%.2f us", elementwise.op_seconds * 1e6);
  say(std::string("ops: ") + op_text + " per call, elementwise " +
      format_gib(elementwise.bytes_per_s) + "/s of activations read and written");

  p.device_attention_bytes_per_s = attention_bytes_per_s(be, shapes.attention);
  say("decode attention: " + format_gib(p.device_attention_bytes_per_s) +
      "/s of KV cache scanned");
  probe_host_compute(be, o, p, say);

  // Strata's backends keep activations in fp32 on either device (backend.h).
  p.activation_bytes_per_element = 4;
  p.probe_version = kProbeVersion;
  set_capacities(be, o, p, say);
  validate(p);
  return p;
}

}  // namespace strata
