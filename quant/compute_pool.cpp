#include "quant/compute_pool.h"

#include "common/error.h"

namespace strata::quant {

ComputePool::ComputePool(int threads) {
  STRATA_CHECK(threads >= 1, "compute pool of ", threads, " threads");
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { serve(); });
}

ComputePool::~ComputePool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ComputePool::work() {
  for (int64_t t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) (*fn_)(t);
}

void ComputePool::serve() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    work();  // fn_ and tasks_ were published under the mutex before generation_ changed
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
  }
}

void ComputePool::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  if (workers_.empty() || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> one_run(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    pending_ = int(workers_.size());
    ++generation_;
  }
  start_.notify_all();
  work();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  fn_ = nullptr;
}

}  // namespace strata::quant
