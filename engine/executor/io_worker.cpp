#include "engine/executor/io_worker.h"

#include <chrono>

namespace strata {

void wait_for(const Event& event) {
  if (event.valid()) event.get();
}

IoWorker::IoWorker(std::string name, Overlap overlap)
    : name_(std::move(name)), overlap_(overlap) {
  if (overlap_ == Overlap::kOn) thread_ = std::thread([this] { serve(); });
}

IoWorker::~IoWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Event IoWorker::submit(std::vector<Event> after, std::function<void()> work) {
  Task task{std::move(after), std::move(work), {}};
  Event done = task.done.get_future().share();
  if (overlap_ == Overlap::kOff) {
    run_task(task);
    return done;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return done;
}

double IoWorker::busy_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_seconds_;
}

void IoWorker::run_task(Task& task) {
  try {
    for (const Event& e : task.after) wait_for(e);
    const auto start = std::chrono::steady_clock::now();
    task.work();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_seconds_ += seconds;
    }
    task.done.set_value();
  } catch (...) {
    task.done.set_exception(std::current_exception());
  }
}

void IoWorker::serve() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    run_task(task);
  }
}

}  // namespace strata
