// A CPU stand-in for a GPU's memory model, to test the executor's device contract without a GPU:
//   SeparateDeviceMemory: device blocks are RAM the test keeps apart (host_addressable() false,
//     so the executor takes every path a GPU backend takes: bounce reads, copies through the
//     queues, store_rows); copies are deferred until their queue is finished, as a stream's would
//     be, so a missing finish() reads stale bytes; every copy checks its queue's direction.
//     Violations are collected (Catch2 assertions are not thread-safe; the workers copy) and
//     the test checks problems() is empty.
//   SeparateMemoryBackend: the CPU ops behind a Backend whose memory() is that; every op first
//     runs the copies queued on compute (stream order) and checks that each tensor it is given
//     lies inside a device block — a host buffer passed to a device op fails the test.
// It computes nothing itself: the numbers are CpuBackend's, so tokens must match bitwise.
#pragma once

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/device_memory.h"

namespace strata::ut {

class SeparateDeviceMemory final : public DeviceMemory {
 public:
  bool host_addressable() const override { return false; }

  MemoryBlock allocate_device(size_t bytes) override {
    if (bytes == 0) return {};
    std::lock_guard<std::mutex> lock(mutex_);
    // Kept until the test ends, so a freed device range is never reused as host memory.
    blocks_.push_back(aligned_host_block(bytes));
    void* data = blocks_.back().data();
    ranges_[reinterpret_cast<uintptr_t>(data)] = bytes;
    return MemoryBlock(data, bytes, [](void*) noexcept {});
  }
  MemoryBlock allocate_host(size_t bytes) override { return aligned_host_block(bytes); }

  void copy(CopyQueue queue, void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    const bool to_device = on_device(dst, bytes), from_device = on_device(src, bytes);
    const char* const names[] = {"compute", "load", "store"};
    const bool ok = queue == CopyQueue::load    ? to_device
                    : queue == CopyQueue::store ? from_device && !to_device
                                                : to_device || from_device;
    if (!ok) {
      problem(std::string("a ") + names[size_t(queue)] + " copy " +
              (from_device ? "from the device" : "from the host") +
              (to_device ? " to the device" : " to the host"));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    pending_[size_t(queue)].push_back({dst, src, bytes});
    copied_[size_t(queue)] += bytes;
  }
  void finish(CopyQueue queue) override {
    std::vector<Copy> run;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      run.swap(pending_[size_t(queue)]);
    }
    for (const Copy& c : run) std::memcpy(c.dst, c.src, c.bytes);
  }

  // True when [p, p + bytes) lies inside one device block.
  bool on_device(const void* p, size_t bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    auto it = ranges_.upper_bound(at);
    if (it == ranges_.begin()) return false;
    --it;
    return at + bytes <= it->first + it->second;
  }
  void problem(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back(what);
  }
  std::vector<std::string> problems() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return problems_;
  }
  uint64_t copied(CopyQueue queue) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return copied_[size_t(queue)];
  }

 private:
  struct Copy {
    void* dst;
    const void* src;
    size_t bytes;
  };
  mutable std::mutex mutex_;
  std::vector<MemoryBlock> blocks_;
  std::map<uintptr_t, size_t> ranges_;
  std::vector<Copy> pending_[3];
  uint64_t copied_[3] = {};
  std::vector<std::string> problems_;
};

class SeparateMemoryBackend final : public Backend {
 public:
  // kind: what kind() reports. cuda makes a caller take the paths it takes for a GPU backend
  // (the ops are still the CPU's), so those paths are tested without a GPU.
  explicit SeparateMemoryBackend(BackendKind kind = BackendKind::cpu) : kind_(kind) {}
  BackendKind kind() const override { return kind_; }
  DeviceMemory& memory() override { return memory_; }
  const SeparateDeviceMemory& separate_memory() const { return memory_; }

 private:
  // Runs what the compute queue holds (stream order), then checks the op's tensors.
  void before(std::initializer_list<const Tensor*> tensors) {
    memory_.finish(CopyQueue::compute);
    for (const Tensor* t : tensors) {
      if (!t->empty() && !memory_.on_device(t->data(), t->nbytes())) {
        memory_.problem("a host tensor " + t->shape_string() + " handed to a device op");
      }
    }
  }
  void do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) override {
    before({&x, &w, &bias, &y});
    cpu_.linear(x, w, bias, y);
  }
  void do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                     Tensor& y) override {
    before({&x, &gamma, &beta, &y});
    cpu_.layer_norm(x, gamma, beta, eps, y);
  }
  void do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) override {
    before({&x, &gamma, &y});
    cpu_.rms_norm(x, gamma, eps, y);
  }
  // positions and inv_freq are host arrays by contract (backend.h), so only x is checked.
  void do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
               std::span<const float> inv_freq) override {
    before({&x});
    cpu_.rope(x, head_dim, positions, inv_freq);
  }
  void do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override {
    before({&gate, &up, &out});
    cpu_.silu_mul(gate, up, out);
  }
  void do_add(const Tensor& x, Tensor& y) override {
    before({&x, &y});
    cpu_.add(x, y);
  }
  void do_activation(Activation kind, Tensor& x) override {
    before({&x});
    cpu_.activation(kind, x);
  }
  void do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                    Tensor& y) override {
    before({&table, &y});
    cpu_.embedding(table, ids, mode, y);
  }
  void do_attention(const AttentionArgs& a) override {
    before({&a.q, &a.k_cache, &a.v_cache, &a.out});
    cpu_.attention(a);
  }
  void do_store_rows(const Tensor& x, const Tensor& out) override {
    before({&x, &out});
    cpu_.store_rows(x, out);
  }

  BackendKind kind_;
  SeparateDeviceMemory memory_;
  CpuBackend cpu_;
};

}  // namespace strata::ut
