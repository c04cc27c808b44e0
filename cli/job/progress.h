// Progress of a batch job on stderr: a redrawn bar on a terminal (requests done/total, generated
// tokens/s, ETA), redrawn at least every second while tokens come; otherwise (logs, Slurm) a
// plain, timestamped line every 10 s and at each tenth of the job. Both move inside a block too
// (tick), not only when a block's requests finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>

namespace strata::cli {

enum class ProgressStyle { bar, lines, none };

class Progress {
 public:
  // total: requests in this run; already_done: requests found in the journal on --resume.
  Progress(std::ostream& out, ProgressStyle style, int64_t total, int64_t already_done);
  static ProgressStyle style_for_stderr(bool quiet);  // bar on a terminal, lines otherwise

  // Called after each micro-batch with the requests it finished and tokens it generated.
  void advance(int64_t requests, int64_t tokens);
  // Called inside a block (after its prefill and each decode step) with the tokens generated
  // by the block so far; redraws when it is time to.
  void tick(int64_t block_tokens);
  // Ends the bar's line (the summary follows on its own line).
  void finish();

 private:
  void draw(bool force);

  std::ostream& out_;
  ProgressStyle style_;
  int64_t total_, done_, done_at_start_, done_at_draw_, tokens_ = 0, block_tokens_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace strata::cli
