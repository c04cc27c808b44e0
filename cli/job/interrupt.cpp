#include "cli/job/interrupt.h"

#include <csignal>

namespace strata::cli {
namespace {

// A signal handler can only reach static storage; this is the one flag it sets.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int signal_number) {
  g_interrupted.store(true);
  std::signal(signal_number, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

const std::atomic<bool>& InterruptGuard::flag() const { return g_interrupted; }

}  // namespace strata::cli
