#include "runtime/profile/probe_rates.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/core/half.h"
#include "offload/aligned_buffer.h"

namespace strata {
namespace {

// Uniform [-1, 1) floats, at most 1 Mi of them: a pattern that fill_device repeats.
std::vector<float> random_pattern(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(std::min<size_t>(count, size_t(1) << 20));
  for (float& x : v) x = dist(rng);
  return v;
}

// A device block of `count` elements of T filled with `pattern` repeated, copied on the load
// queue and finished. Why a repeated pattern: the rates measured do not depend on the values,
// and drawing a GiB of random numbers on the host would take longer than the measurement.
template <typename T>
MemoryBlock device_filled(DeviceMemory& memory, size_t count, const std::vector<T>& pattern) {
  MemoryBlock block = memory.allocate_device(count * sizeof(T));
  for (size_t at = 0; at < count; at += pattern.size()) {
    const size_t n = std::min(pattern.size(), count - at);
    memory.copy(CopyQueue::load, block.data<T>() + at, pattern.data(), n * sizeof(T));
  }
  memory.finish(CopyQueue::load);
  return block;
}

MemoryBlock device_random(DeviceMemory& memory, size_t count, uint32_t seed) {
  return device_filled(memory, count, random_pattern(count, seed));
}

// The same, as f16 (weights, and the KV cache's default elements).
MemoryBlock device_random_f16(DeviceMemory& memory, size_t count, uint32_t seed) {
  const std::vector<float> pattern = random_pattern(count, seed);
  std::vector<uint16_t> halves(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) halves[i] = f32_to_f16(pattern[i]);
  return device_filled(memory, count, halves);
}

}  // namespace

CopyRates copy_rates(DeviceMemory& memory, void* host, size_t bytes) {
  MemoryBlock device = memory.allocate_device(bytes);
  CopyRates r;
  r.load = double(bytes) / typical_seconds(3, [&] {
             memory.copy(CopyQueue::load, device.data(), host, bytes);
             memory.finish(CopyQueue::load);
           });
  r.store = double(bytes) / typical_seconds(3, [&] {
              memory.copy(CopyQueue::store, host, device.data(), bytes);
              memory.finish(CopyQueue::store);
            });
  return r;
}

double memcpy_bytes_per_s(size_t bytes) {
  AlignedBuffer src(bytes), dst(bytes);
  std::memset(src.data(), 1, bytes);
  return double(bytes) / typical_seconds(3, [&] { std::memcpy(dst.data(), src.data(), bytes); });
}

F16Product::F16Product(Backend& be, int64_t m, int64_t n, int64_t k, uint32_t seed) : be_(be) {
  DeviceMemory& memory = be.memory();
  x_block_ = device_random(memory, size_t(m * k), seed);
  w_block_ = device_random_f16(memory, size_t(n * k), seed + 1);
  y_block_ = memory.allocate_device(size_t(m * n) * sizeof(float));
  x_ = Tensor(x_block_.data(), DType::f32, {m, k}, Place::device);
  w_ = Tensor(w_block_.data(), DType::f16, {n, k}, Place::device);
  y_ = Tensor(y_block_.data(), DType::f32, {m, n}, Place::device);
}

double gemm_flops(Backend& be, int64_t m, int64_t n, int64_t k, int reps) {
  F16Product product(be, m, n, k, 1);
  const double s = typical_seconds(reps, [&] {
    product.run();
    be.memory().finish(CopyQueue::compute);
  });
  return 2.0 * double(m) * double(n) * double(k) / s;
}

namespace {

// Products over enough distinct [n, k] f16 matrices to outgrow the last-level cache: a model's
// layers stream their weights from memory, while one matrix run again and again is timed from
// the cache after its first run (at 128 rows of [1024, 1024], 183 against 189-200 GFLOP/s on a
// quiet Zen 4: the f16 widening of the prefill tiles reads cached bytes).
std::vector<std::unique_ptr<F16Product>> products_from_memory(Backend& be, int64_t m, int64_t n,
                                                              int64_t k) {
  constexpr double kPassBytes = 96.0 * (1 << 20);  // several times any CPU's last-level cache
  const double matrix_bytes = double(n) * double(k) * 2.0;
  const int copies = int(std::clamp(std::ceil(kPassBytes / matrix_bytes), 1.0, 64.0));
  std::vector<std::unique_ptr<F16Product>> products;
  for (int c = 0; c < copies; ++c) {
    products.push_back(std::make_unique<F16Product>(be, m, n, k, uint32_t(1 + 2 * c)));
  }
  return products;
}

// Seconds of one pass over `products`, typical of `reps` runs.
double pass_seconds(Backend& be, std::vector<std::unique_ptr<F16Product>>& products, int reps) {
  return typical_seconds(reps, [&] {
    for (auto& p : products) p->run();
    be.memory().finish(CopyQueue::compute);
  });
}

}  // namespace

double gemm_weight_bytes_per_s(Backend& be, int64_t n, int64_t k) {
  // A decode step reads each layer's weights once, from memory: with the weights widened inside
  // the multiply (quant/half_gemm.h) one [n, k] matrix would be timed from the last-level cache.
  std::vector<std::unique_ptr<F16Product>> products = products_from_memory(be, 1, n, k);
  return double(n) * double(k) * 2.0 * double(products.size()) / pass_seconds(be, products, 5);
}

double gemm_flops_from_memory(Backend& be, int64_t m, int64_t n, int64_t k, int reps) {
  std::vector<std::unique_ptr<F16Product>> products = products_from_memory(be, m, n, k);
  return 2.0 * double(m) * double(n) * double(k) * double(products.size()) /
         pass_seconds(be, products, reps);
}

ElementwiseRates elementwise_rates(Backend& be) {
  DeviceMemory& memory = be.memory();
  ElementwiseRates r;
  constexpr int kCalls = 200;
  MemoryBlock tiny_x = device_random(memory, 64, 6), tiny_y = device_random(memory, 64, 7);
  const Tensor tx(tiny_x.data(), DType::f32, {1, 64}, Place::device);
  Tensor ty(tiny_y.data(), DType::f32, {1, 64}, Place::device);
  r.op_seconds = typical_seconds(3, [&] {
                   for (int i = 0; i < kCalls; ++i) be.add(tx, ty);
                   memory.finish(CopyQueue::compute);
                 }) /
                 kCalls;
  constexpr int64_t kRows = 1024, kCols = 1024;
  MemoryBlock big_x = device_random(memory, size_t(kRows * kCols), 8);
  MemoryBlock big_y = device_random(memory, size_t(kRows * kCols), 9);
  const Tensor bx(big_x.data(), DType::f32, {kRows, kCols}, Place::device);
  Tensor by(big_y.data(), DType::f32, {kRows, kCols}, Place::device);
  const double s = typical_seconds(3, [&] {
    be.add(bx, by);
    memory.finish(CopyQueue::compute);
  });
  r.bytes_per_s = 3.0 * double(kRows * kCols) * sizeof(float) / s;  // x and y read, y written
  return r;
}

double copy_compute_share(Backend& be, const ProbeShapes& shapes) {
  F16Product product(be, shapes.prefill_m, shapes.prefill_n, shapes.prefill_k, 10);
  const auto work = [&] {
    for (int i = 0; i < shapes.io_share_products; ++i) product.run();
    be.memory().finish(CopyQueue::compute);
  };
  const double alone = typical_seconds(2, work);
  DeviceMemory& memory = be.memory();
  const size_t bytes = std::min<size_t>(shapes.copy_bytes, size_t(32) << 20);
  MemoryBlock host = memory.allocate_host(bytes);
  MemoryBlock device = memory.allocate_device(bytes);
  std::atomic<bool> stop{false};
  double together = 0;
  {
    // jthread: joined also when `work` throws; copies are memcpys or DMA, they do not throw.
    std::jthread copier([&] {
      while (!stop.load()) {
        memory.copy(CopyQueue::load, device.data(), host.data(), bytes);
        memory.finish(CopyQueue::load);
      }
    });
    try {
      together = typical_seconds(2, work);
    } catch (...) {
      stop.store(true);
      throw;
    }
    stop.store(true);
  }
  return std::clamp((together - alone) / together, 0.0, 1.0);
}

double attention_bytes_per_s(Backend& be, const ProbeAttentionShape& shape) {
  const int64_t b = shape.batch, slots = shape.slots, hidden = shape.hidden;
  STRATA_CHECK(b > 0 && slots > 0 && hidden % shape.heads == 0, "attention probe shape ", b, "x",
               slots, "x", hidden, " with ", shape.heads, " heads");
  DeviceMemory& memory = be.memory();
  const size_t q_count = size_t(b * hidden), kv_count = size_t(b * slots * hidden);
  MemoryBlock q = device_random(memory, q_count, 3);
  // f16, the default KV cache (--cache-dtype auto) on both backends.
  MemoryBlock k = device_random_f16(memory, kv_count, 4);
  MemoryBlock v = device_random_f16(memory, kv_count, 5);
  MemoryBlock out = memory.allocate_device(q_count * sizeof(float));
  // key_valid is host memory on every backend (backend.h; CUDA stages it per call).
  std::vector<uint8_t> valid(size_t(b * slots), 1);
  AttentionArgs a;
  a.q = Tensor(q.data(), DType::f32, {b, 1, hidden}, Place::device);
  a.k_cache = Tensor(k.data(), DType::f16, {b, slots, hidden}, Place::device);
  a.v_cache = Tensor(v.data(), DType::f16, {b, slots, hidden}, Place::device);
  a.key_valid = valid.data();
  a.first_query_slot = slots - 1;
  a.num_heads = shape.heads;
  a.scale = 0.125f;
  a.out = Tensor(out.data(), DType::f32, {b, 1, hidden}, Place::device);
  const double s = typical_seconds(3, [&] {
    be.attention(a);
    memory.finish(CopyQueue::compute);
  });
  return 2.0 * double(kv_count) * sizeof(uint16_t) / s;
}

}  // namespace strata
