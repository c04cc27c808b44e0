// AtomicFile: writes an output the user named so that readers see either the old file or the
// whole new one, never half of it, and no path the user gave is destroyed (common/output_path.h):
// a regular file (or a new one) is written under a temporary name beside the file a symlink
// points to and renamed over that file on commit() — the link itself stays; an existing device
// or FIFO (/dev/stdout, /dev/null) is written in place and never renamed over. Without commit()
// (an error, an exception) the temporary file is removed.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "common/output_path.h"

namespace strata {

class AtomicFile {
 public:
  // `what` names the output in errors ("--output", "--metrics"); empty: the path alone.
  explicit AtomicFile(const std::filesystem::path& target, const std::string& what = "");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // Flushes, fsyncs and renames over the target (in place: flushes). Throws on any failure.
  void commit();
  // Deletes TARGET.tmp-PID files that writers killed before commit() left behind (beside the
  // file a symlink points to). Only for a caller that knows it is the target's one writer (a
  // batch job holding its journal's lock).
  static void remove_leftovers(const std::filesystem::path& target);

 private:
  OutputPath path_;
  std::string name_;           // for errors
  std::filesystem::path temp_;  // empty when written in place
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace strata
