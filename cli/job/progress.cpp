#include "cli/job/progress.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <ostream>
#include <string>

namespace strata::cli {
namespace {

// Plain lines: one every 10 s, and one at each tenth of the job, so that a short job's log still
// shows it moving and a long one's shows it is alive.
constexpr double kPlainIntervalSeconds = 10.0;
constexpr int64_t kPlainSteps = 10;
constexpr double kBarIntervalSeconds = 1.0;  // between redraws from inside a block
constexpr int kBarWidth = 30;

std::string duration_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

Progress::Progress(std::ostream& out, ProgressStyle style, int64_t total, int64_t already_done)
    : out_(out), style_(style), total_(total), done_(already_done), done_at_start_(already_done),
      done_at_draw_(already_done), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressStyle Progress::style_for_stderr(bool quiet) {
  if (quiet) return ProgressStyle::none;
  return ::isatty(STDERR_FILENO) ? ProgressStyle::bar : ProgressStyle::lines;
}

void Progress::advance(int64_t requests, int64_t tokens) {
  done_ += requests;
  tokens_ += tokens;
  block_tokens_ = 0;
  draw(done_ == total_);
}

void Progress::tick(int64_t block_tokens) {
  block_tokens_ = block_tokens;
  draw(false);
}

void Progress::finish() {
  if (style_ == ProgressStyle::bar && drawn_) out_ << "\n" << std::flush;
}

void Progress::draw(bool force) {
  if (style_ == ProgressStyle::none) return;
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const bool new_step =
      total_ > 0 && done_ * kPlainSteps / total_ > done_at_draw_ * kPlainSteps / total_;
  if (style_ == ProgressStyle::lines && !force && !new_step && since_draw < kPlainIntervalSeconds) {
    return;
  }
  if (style_ == ProgressStyle::bar && !force && since_draw < kBarIntervalSeconds) return;
  last_draw_ = now;
  done_at_draw_ = done_;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int64_t done_here = done_ - done_at_start_;
  const double eta = done_here > 0 ? elapsed / double(done_here) * double(total_ - done_) : -1.0;
  const double rate = elapsed > 0 ? double(tokens_ + block_tokens_) / elapsed : 0.0;
  char stats[160];
  std::snprintf(stats, sizeof stats, "%lld/%lld requests | %.1f tokens/s | ETA %s",
                static_cast<long long>(done_), static_cast<long long>(total_), rate,
                duration_text(eta).c_str());
  if (style_ == ProgressStyle::bar) {
    const int filled = total_ > 0 ? int(kBarWidth * done_ / total_) : kBarWidth;
    out_ << "\r[" << std::string(size_t(filled), '#') << std::string(size_t(kBarWidth - filled), '.')
         << "] " << stats << "\x1b[K" << std::flush;
    drawn_ = true;
  } else {
    // UTC, so that lines of shards on different machines compare.
    char stamp[32];
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    out_ << "strata: " << stamp << " " << stats << "\n" << std::flush;
  }
}

}  // namespace strata::cli
