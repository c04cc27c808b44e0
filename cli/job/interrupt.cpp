#include "cli/job/interrupt.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <vector>

namespace strata::cli {
namespace {

// A signal handler can only reach static storage; this is the one flag it sets.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int signal_number) {
  g_interrupted.store(true);
  std::signal(signal_number, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// 'it'\''s' for a word with shell specials; the word itself when it is plainly safe.
std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%") ==
      std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string resume_command_line() {
  // Linux: the arguments as given, NUL-separated. Read here, not passed down from main, so that
  // every option (present or future) is repeated exactly as the user typed it.
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t at = 0; at < raw.size();) {
    const size_t end = std::min(raw.find('\0', at), raw.size());
    args.push_back(raw.substr(at, end - at));
    at = end + 1;
  }
  if (args.empty()) return "";
  bool has_resume = false;
  std::string line;
  for (const std::string& a : args) {
    has_resume = has_resume || a == "--resume";
    if (!line.empty()) line += ' ';
    line += shell_quote(a);
  }
  return has_resume ? line : line + " --resume";
}

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  for (int i = 0; i < 4; ++i) {
    // A signal ignored on entry stays ignored: a shell starts `strata run ... &` with SIGINT
    // ignored so that Ctrl-C meant for the foreground job does not reach it (and nohup ignores
    // SIGHUP).
    const auto previous = std::signal(kSignals[i], on_interrupt);
    if (previous == SIG_IGN) std::signal(kSignals[i], SIG_IGN);
    previous_[i] = previous == SIG_ERR ? SIG_DFL : previous;
  }
  watchdog_ = std::thread([this] { watch(); });
}

InterruptGuard::~InterruptGuard() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  for (int i = 0; i < 4; ++i) std::signal(kSignals[i], previous_[i]);
}

void InterruptGuard::set_polled(bool polled) {
  std::lock_guard<std::mutex> lock(mutex_);
  polled_ = polled;
}

void InterruptGuard::set_stop_message(std::string message) {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_message_ = std::move(message);
}

void InterruptGuard::watch() {
  // A signal handler cannot notify a condition variable; polling every 100 ms keeps the delay
  // well under the second promised.
  std::unique_lock<std::mutex> lock(mutex_);
  while (!done_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    if (done_ || !g_interrupted.load() || polled_) continue;
    const std::string line = "strata: " + stop_message_ + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    ::_exit(130);  // the journal is durable after every append; temporaries go at the next run
  }
}

const std::atomic<bool>& InterruptGuard::flag() const { return g_interrupted; }

}  // namespace strata::cli
