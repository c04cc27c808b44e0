// Ctrl-C (SIGINT) and SIGTERM during a job: the first asks the job to stop at the next step and
// save its work; a second one kills the process at once (the default action is restored).
#pragma once

#include <atomic>
#include <csignal>
#include <string>

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

 private:
  void (*previous_int_)(int) = SIG_DFL;   // restored by the destructor
  void (*previous_term_)(int) = SIG_DFL;
};

// The command line of this process, shell-quoted, with --resume added when it lacks it: what
// to run to continue an interrupted job. Empty when /proc/self/cmdline cannot be read.
std::string resume_command_line();

}  // namespace strata::cli
