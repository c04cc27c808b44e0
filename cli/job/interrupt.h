// Ctrl-C (SIGINT), SIGTERM, SIGHUP (the terminal went away) and SIGPIPE (stderr or a streamed
// output closed) during a job: the first asks the job to stop at the next generation step and
// save its work; a second one kills the process at once (the default action is restored).
// Outside generation (reading and tokenizing the requests, loading or converting the model,
// writing the output) nothing polls the flag, so a watchdog ends the process within a second,
// with exit 130 and the stop message on stderr: those phases hold no unsaved result (finished
// ones are in the journal) and their temporary files are removed by the next run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>

namespace strata::cli {

// Installs the handlers for the lifetime of the object (restoring the previous ones after).
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // Set once a signal arrived; the generation loop polls it between steps.
  const std::atomic<bool>& flag() const;

  // Whether the running phase polls flag() (generation); otherwise the watchdog exits.
  void set_polled(bool polled);
  // What the watchdog prints (one line, without "strata: ") before it exits.
  void set_stop_message(std::string message);

 private:
  void watch();

  static constexpr int kSignals[4] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  void (*previous_[4])(int) = {SIG_DFL, SIG_DFL, SIG_DFL, SIG_DFL};  // restored on destruction
  std::mutex mutex_;
  std::condition_variable wake_;
  bool polled_ = false;
  bool done_ = false;
  std::string stop_message_ = "interrupted; nothing was finished yet: run the same command again";
  std::thread watchdog_;
};

// The command line of this process, shell-quoted, with --resume added when it lacks it: what
// to run to continue an interrupted job. Empty when /proc/self/cmdline cannot be read.
std::string resume_command_line();

}  // namespace strata::cli
