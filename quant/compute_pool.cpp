#include "quant/compute_pool.h"

#include <chrono>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "common/error.h"

namespace strata::quant {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

uint32_t next_generation(uint32_t g) { return g + 1 == 0 ? 1 : g + 1; }

}  // namespace

ComputePool::ComputePool(int threads) {
  STRATA_CHECK(threads >= 1, "compute pool of ", threads, " threads");
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { serve(); });
}

ComputePool::~ComputePool() {
  stop_.store(true);
  generation_.store(next_generation(generation_.load()));
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ComputePool::work() {
  for (int64_t t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) (*fn_)(t);
}

// Polls generation_ for up to kSpinSeconds, then sleeps on it (a futex: no lost wake-up, since
// wait() returns at once when the value already differs from `seen`).
uint32_t ComputePool::wait_for_run(uint32_t seen) const {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::duration<double>(kSpinSeconds);
  for (int polls = 0;; ++polls) {
    const uint32_t g = generation_.load(std::memory_order_acquire);
    if (g != seen) return g;
    if (polls % 16 == 15 && Clock::now() >= until) break;
    // Yield, not only pause: oneDNN's OpenMP team and the I/O workers share these cores, and a
    // poll that held its core for the whole window starved them (the prefill path, which
    // alternates this pool's widening with oneDNN's GEMMs, ran 5x slower with pause alone).
    std::this_thread::yield();
  }
  generation_.wait(seen);
  return generation_.load(std::memory_order_acquire);
}

void ComputePool::serve() {
  uint32_t seen = 0;
  for (;;) {
    const uint32_t g = wait_for_run(seen);
    if (stop_.load()) return;
    seen = g;
    // Join only while the caller still holds the run open. Both sides are sequentially
    // consistent: either this increment comes before the caller's close (and the caller waits
    // for the decrement) or the load below sees the close and the worker touches nothing.
    active_.fetch_add(1);
    if (open_.load() == g) work();
    active_.fetch_sub(1);
  }
}

void ComputePool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> one_run(run_mutex_);
  fn_ = &fn;
  tasks_ = tasks;
  next_.store(0);
  const uint32_t g = next_generation(generation_.load());
  open_.store(g);
  generation_.store(g);
  generation_.notify_all();
  work();
  // Every task is taken; those still running belong to workers counted in active_.
  open_.store(0);
  for (int polls = 0; active_.load() != 0; ++polls) {
    if (polls < 4096) cpu_relax();
    else std::this_thread::yield();
  }
  fn_ = nullptr;
}

}  // namespace strata::quant
