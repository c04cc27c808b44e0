#include "cli/profile/hardware_probe.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <span>
#include <thread>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/core/half.h"
#include "offload/aligned_buffer.h"
#include "offload/uring_file.h"
#include "planner/byte_size.h"

namespace strata::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Best (shortest) time of `reps` runs of fn after one warm-up run.
template <typename Fn>
double best_seconds(int reps, Fn&& fn) {
  fn();
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return std::max(best, 1e-9);
}

void fill_random(float* data, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) data[i] = dist(rng);
}

double copy_bytes_per_s() {
  const size_t bytes = size_t(128) << 20;
  AlignedBuffer src(bytes), dst(bytes);
  std::memset(src.data(), 1, bytes);
  return double(bytes) / best_seconds(3, [&] { std::memcpy(dst.data(), src.data(), bytes); });
}

// y[m, n] = x[m, k] · w[n, k]ᵀ with random f16 weights (the stored dtype), ready to run.
class F16Product {
 public:
  F16Product(int64_t m, int64_t n, int64_t k, uint32_t seed)
      : x_(size_t(m * k)), y_(size_t(m * n)), w_(size_t(n * k)) {
    fill_random(x_.data(), x_.size(), seed);
    std::vector<float> wf(w_.size());
    fill_random(wf.data(), wf.size(), seed + 1);
    for (size_t i = 0; i < w_.size(); ++i) w_[i] = f32_to_f16(wf[i]);
    xt_ = Tensor(x_.data(), DType::f32, {m, k});
    wt_ = Tensor(w_.data(), DType::f16, {n, k});
    yt_ = Tensor(y_.data(), DType::f32, {m, n});
  }
  void run(Backend& be) { be.linear(xt_, wt_, Tensor(), yt_); }

 private:
  std::vector<float> x_, y_;
  std::vector<uint16_t> w_;
  Tensor xt_, wt_, yt_;
};

// Achieved FLOP/s of one F16Product. Small products take milliseconds, so they get more
// repetitions: on a shared machine the best of a handful is often a slow one.
double gemm_flops(Backend& be, int64_t m, int64_t n, int64_t k, int reps = 3) {
  F16Product product(m, n, k, 1);
  const double s = best_seconds(reps, [&] { product.run(be); });
  return 2.0 * double(m) * double(n) * double(k) / s;
}

// The weight pass of a GEMM as the backend runs it: stored weight bytes per second of a one-row
// product (y[1, n] = x[1, k] · w[n, k]ᵀ, f16 weights), i.e. what a decode step with a tiny
// batch pays per weight byte. On the CPU backend this is far below a memcpy (each weight is
// converted to fp32 before the multiply), and the cost model charges W / this rate per GEMM.
double gemm_weight_bytes_per_s(Backend& be, int64_t n, int64_t k) {
  const double flops = gemm_flops(be, 1, n, k, 15);
  const double seconds = 2.0 * double(n) * double(k) / flops;
  return double(n) * double(k) * 2.0 / seconds;
}

// FLOP/s of the multiply alone in y[m, n] = x[m, k] · w[n, k]ᵀ with f16 weights: the product's
// time less its weight pass (n·k·2 bytes at `weight_bytes_per_s`). Timing noise can make the
// difference tiny or negative at decode shapes, so the multiply is taken to be at least a tenth
// of the product's time.
double multiply_flops(Backend& be, int64_t m, int64_t n, int64_t k, double weight_bytes_per_s,
                      int reps = 3) {
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const double total = flops / gemm_flops(be, m, n, k, reps);
  const double weights = double(n) * double(k) * 2.0 / weight_bytes_per_s;
  return flops / std::max(total - weights, 0.1 * total);
}

// Decode attention (one query per sequence) over a full cache: KV bytes scanned per second.
double attention_bytes_per_s(Backend& be) {
  const int64_t b = 8, slots = 512, hidden = 1024, heads = 16;
  std::vector<float> q(size_t(b * hidden)), out(q.size());
  std::vector<float> k(size_t(b * slots * hidden)), v(k.size());
  fill_random(q.data(), q.size(), 3);
  fill_random(k.data(), k.size(), 4);
  fill_random(v.data(), v.size(), 5);
  std::vector<uint8_t> valid(size_t(b * slots), 1);
  AttentionArgs a;
  a.q = Tensor(q.data(), DType::f32, {b, 1, hidden});
  a.k_cache = Tensor(k.data(), DType::f32, {b, slots, hidden});
  a.v_cache = Tensor(v.data(), DType::f32, {b, slots, hidden});
  a.key_valid = valid.data();
  a.first_query_slot = slots - 1;
  a.num_heads = heads;
  a.scale = 0.125f;
  a.out = Tensor(out.data(), DType::f32, {b, 1, hidden});
  const double s = best_seconds(3, [&] { be.attention(a); });
  return double(k.size() + v.size()) * sizeof(float) / s;
}

struct DiskRates {
  double read = 0, write = 0;
  bool direct = true;
};

// The probe's test file on the offload disk, written by disk_rates() and removed with this.
struct ProbeFile {
  std::filesystem::path path;
  std::vector<IoRequest> requests;  // sequential 4 MiB pieces covering it
  ~ProbeFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// Sequential 4 MiB requests through UringFile, as the weight store streams a layer.
DiskRates disk_rates(const ProbeOptions& o, ProbeFile& file, AlignedBuffer& buffer) {
  const size_t chunk = size_t(4) << 20;
  const size_t total = std::max(chunk, o.disk_bytes / chunk * chunk);
  buffer = AlignedBuffer(total);
  std::memset(buffer.data(), 0x5a, total);
  file.requests.resize(total / chunk);
  for (size_t i = 0; i < file.requests.size(); ++i) {
    file.requests[i].data = buffer.data<char>() + i * chunk;
    file.requests[i].offset = i * chunk;
    file.requests[i].length = chunk;
  }
  std::vector<IoRequest>& requests = file.requests;
  DiskRates r;
  UringFileOptions wo;
  wo.access = FileAccess::create;
  wo.warn = [&](const std::string&) { r.direct = false; };
  UringFile writer = UringFile::open(file.path, wo);
  r.write = double(total) / best_seconds(2, [&] {
              writer.write_many(requests);
              writer.throw_if_failed(requests, IoDirection::write);
              writer.sync();
            });
  UringFileOptions ro;
  ro.warn = wo.warn;
  UringFile reader = UringFile::open(file.path, ro);
  r.read = double(total) / best_seconds(3, [&] {
             reader.read_many(requests);
             reader.throw_if_failed(requests, IoDirection::read);
           });
  return r;
}

// HardwareProfile::io_compute_share: how much longer a fixed GEMM workload takes while another
// thread reads the test file back to back through UringFile (the disk worker's path), per
// second of that reading. The disk is busy the whole time, so the share is the slowdown over
// the time taken; clamped to [0, 1].
double io_compute_share(Backend& be, ProbeFile& file) {
  F16Product product(512, 1024, 1024, 6);
  const auto work = [&] {
    for (int i = 0; i < 20; ++i) product.run(be);
  };
  const double alone = best_seconds(2, work);

  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::thread reader([&] {
    try {
      UringFile f = UringFile::open(file.path, UringFileOptions{});
      // A few requests per call, so the reads never pause for long between calls.
      const size_t per_call = std::min<size_t>(4, file.requests.size());
      for (size_t at = 0; !stop.load(); at = (at + per_call) % (file.requests.size() - per_call + 1)) {
        const std::span<IoRequest> some(file.requests.data() + at, per_call);
        f.read_many(some);
        f.throw_if_failed(some, IoDirection::read);
      }
    } catch (...) {
      failure = std::current_exception();
    }
  });
  const double together = best_seconds(2, work);
  stop = true;
  reader.join();
  if (failure) std::rethrow_exception(failure);
  return std::clamp((together - alone) / together, 0.0, 1.0);
}

double physical_ram_bytes() {
  return double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGE_SIZE));
}

double free_disk_bytes(const std::filesystem::path& dir) {
  struct statvfs s {};
  STRATA_CHECK_INPUT(::statvfs(dir.c_str(), &s) == 0, dir.string(), ": cannot stat the file system");
  return double(s.f_bavail) * double(s.f_frsize);
}

}  // namespace

HardwareProfile probe_hardware(Backend& be, const ProbeOptions& o) {
  STRATA_CHECK_INPUT(std::filesystem::is_directory(o.offload_dir), o.offload_dir.string(),
                     ": the offload directory does not exist");
  const auto say = [&](const std::string& line) { if (o.say) o.say(line); };
  HardwareProfile p;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  p.name = std::string(host) + (be.kind() == BackendKind::cuda ? "-cuda" : "-cpu");

  const double copy = copy_bytes_per_s();
  p.host_to_device_bytes_per_s = p.device_to_host_bytes_per_s = copy;
  p.dram_bytes_per_s = 2.0 * copy;  // a copy reads and writes
  say("host<->device copies: " + format_gib(copy) + "/s (memcpy: the CPU backend's device is RAM)");

  ProbeFile file{o.offload_dir / ("strata-profile-" + std::to_string(::getpid()) + ".tmp"), {}};
  AlignedBuffer file_data;
  const DiskRates disk = disk_rates(o, file, file_data);
  p.disk_read_bytes_per_s = disk.read;
  p.disk_write_bytes_per_s = disk.write;
  say("disk through io_uring" + std::string(disk.direct ? " (O_DIRECT)" : " (buffered: O_DIRECT refused, figures include the page cache)") +
      ": read " + format_gib(disk.read) + "/s, write " + format_gib(disk.write) + "/s");

  // The CPU backend converts f16 weights to fp32 tiles, then multiplies: the cost model adds
  // the two (GemmWeightPass::kSerial), so the FLOP rates it needs are the multiply's alone —
  // each product's time less its weight pass at the one-row rate.
  p.gemm_weight_pass = GemmWeightPass::kSerial;
  p.device_memory_bytes_per_s = gemm_weight_bytes_per_s(be, 2048, 2048);
  say("GEMM weight pass (one row, f16 weights): " + format_gib(p.device_memory_bytes_per_s) +
      "/s of weights, then the multiply");
  p.device_gemm_prefill_flops = multiply_flops(be, 512, 1024, 1024, p.device_memory_bytes_per_s);
  p.device_gemm_decode_flops =
      multiply_flops(be, kDecodeProbeRows, 2048, 2048, p.device_memory_bytes_per_s, 15);
  p.cpu_flops = p.device_gemm_prefill_flops;
  say("GEMM multiply: prefill-shaped " + std::to_string(p.device_gemm_prefill_flops / 1e9) +
      " GFLOP/s, decode-shaped " + std::to_string(p.device_gemm_decode_flops / 1e9) + " GFLOP/s");

  p.io_compute_share = io_compute_share(be, file);
  say("disk reads slow overlapped GEMMs by " + std::to_string(int(p.io_compute_share * 100 + 0.5)) +
      "% of their time (io_compute_share)");

  p.device_attention_bytes_per_s = p.host_attention_bytes_per_s = attention_bytes_per_s(be);
  say("decode attention: " + format_gib(p.host_attention_bytes_per_s) + "/s of KV cache scanned");

  p.activation_bytes_per_element = 4;  // the CPU backend computes in fp32
  const double ram = physical_ram_bytes();
  p.device_capacity_bytes = o.device_capacity_bytes > 0 ? o.device_capacity_bytes : ram / 4;
  p.host_capacity_bytes = std::max(ram * 0.75 - p.device_capacity_bytes, ram / 8);
  p.disk_capacity_bytes = free_disk_bytes(o.offload_dir) * 0.9;
  say("capacities: device " + format_gib(p.device_capacity_bytes) + ", host " +
      format_gib(p.host_capacity_bytes) + ", disk " + format_gib(p.disk_capacity_bytes));
  validate(p);
  return p;
}

}  // namespace strata::cli
