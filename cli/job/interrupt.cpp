#include "cli/job/interrupt.h"

#include <algorithm>
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
  for (const int sig : {SIGINT, SIGTERM}) {
    // A signal ignored on entry stays ignored: a shell starts `strata run ... &` with SIGINT
    // ignored so that Ctrl-C meant for the foreground job does not reach it.
    const auto previous = std::signal(sig, on_interrupt);
    if (previous == SIG_IGN) std::signal(sig, SIG_IGN);
    (sig == SIGINT ? previous_int_ : previous_term_) = previous;
  }
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, previous_int_ == SIG_ERR ? SIG_DFL : previous_int_);
  std::signal(SIGTERM, previous_term_ == SIG_ERR ? SIG_DFL : previous_term_);
}

const std::atomic<bool>& InterruptGuard::flag() const { return g_interrupted; }

}  // namespace strata::cli
