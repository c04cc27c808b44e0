// ComputePool: a fixed team of threads for Strata's own CPU kernels (quant/half_gemm.h,
// quant/gemm_cpu.h) whose idle members sleep on a condition variable. OpenMP's (libgomp's) idle
// threads spin after every parallel region and only sleep when OMP_WAIT_POLICY=passive is in the
// environment when the library loads; on a busy machine that spinning halved end-to-end
// throughput (docs/benchmarks.md section 9). oneDNN keeps OpenMP (its packaged runtime).
//
// run(tasks, fn) calls fn(t) once for every t in [0, tasks) across the team and the calling
// thread (tasks are handed out from a shared counter, so a thread that loses its core leaves its
// tasks to the others) and returns when all are done. fn must not throw. One run at a time per
// pool (concurrent callers wait their turn).
#pragma once

#include <atomic>
#include <condition_variable>
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

 private:
  void serve();
  void work();

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one run at a time
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;
  int pending_ = 0;  // workers still inside the current run
  bool stop_ = false;
};

}  // namespace strata::quant
