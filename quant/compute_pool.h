// ComputePool: a fixed team of threads for Strata's own CPU kernels (quant/half_gemm.h,
// quant/gemm_cpu.h, the CPU attention). Idle members spin for a short while (kSpinSeconds) and
// then sleep. OpenMP's (libgomp's) idle threads spin far longer after every parallel region and
// only sleep when OMP_WAIT_POLICY=passive is in the environment when the library loads; on a busy
// machine that spinning halved end-to-end throughput (docs/benchmarks.md section 9). Sleeping at
// once has the opposite cost: a decode step of a small model is hundreds of runs of tens of
// microseconds each, and waking a sleeping thread takes about as long as the run itself.
//
// run(tasks, fn) calls fn(t) once for every t in [0, tasks) across the team and the calling
// thread (tasks are handed out from a shared counter, so a thread that loses its core leaves its
// tasks to the others) and returns when all are done. A worker that wakes after the caller has
// taken the last task does not join, and the caller does not wait for it. fn must not throw. One
// run at a time per pool (concurrent callers wait their turn).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::quant {

class ComputePool {
 public:
  explicit ComputePool(int threads);  // threads >= 1: threads - 1 workers plus the caller
  ~ComputePool();                     // joins the workers; never throws
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  void run(int64_t tasks, const std::function<void(int64_t)>& fn);

  // How long an idle worker polls for the next run before it sleeps: longer than the gaps
  // between a decode step's kernels (layer norms, copies: tens of microseconds), short enough
  // that an idle pool gives its cores back at once to the I/O workers and other processes.
  static constexpr double kSpinSeconds = 100e-6;

 private:
  void serve();
  void work();
  uint32_t wait_for_run(uint32_t seen) const;

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one run at a time
  // The run: published before generation_ changes, read by the workers that join it.
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<uint32_t> generation_{0};  // bumped (never to 0) by every run, and by the destructor
  std::atomic<uint32_t> open_{0};        // the run workers may still join; 0 once the caller closes
  std::atomic<int> active_{0};           // workers that joined (or are trying to join) a run
  std::atomic<bool> stop_{false};
};

}  // namespace strata::quant
