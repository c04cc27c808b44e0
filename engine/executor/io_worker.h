// IoWorker: one resource's queue (disk reads, disk writes, host→device copies, device→host
// copies) served by its own thread, the CPU-side analogue of a CUDA stream. A task first waits
// for the events it depends on, then runs, then completes its own event. An exception thrown by
// a task (or by a dependency it waited for) is carried by its event to whoever waits on it, so
// a failed read never hangs the schedule. With overlap off each task runs inline on the
// submitting thread: the same schedule, done sequentially.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/executor/executor_options.h"

namespace strata {

// Completion of one task; an invalid (default) Event counts as already complete.
using Event = std::shared_future<void>;

// Waits for `event` and rethrows the exception of the task behind it, if any.
void wait_for(const Event& event);

class IoWorker {
 public:
  IoWorker(std::string name, Overlap overlap);
  ~IoWorker();  // runs what is still queued, then joins; never throws
  IoWorker(const IoWorker&) = delete;
  IoWorker& operator=(const IoWorker&) = delete;

  // Queues `work` to run after every event of `after`; returns its completion.
  Event submit(std::vector<Event> after, std::function<void()> work);

  const std::string& name() const { return name_; }
  // Seconds spent running tasks (not waiting for their dependencies).
  double busy_seconds() const;

 private:
  struct Task {
    std::vector<Event> after;
    std::function<void()> work;
    std::promise<void> done;
  };
  void run_task(Task& task);
  void serve();

  std::string name_;
  Overlap overlap_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  double busy_seconds_ = 0.0;
  std::thread thread_;  // last: started after every other member exists
};

}  // namespace strata
