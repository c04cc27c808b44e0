// AtomicFile: writes a file under a temporary name beside it and renames it into place on
// commit(), so readers see either the old file or the whole new one, never half of it. Without
// commit() (an error, an exception) the temporary file is removed.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace strata::cli {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // Flushes, fsyncs and renames over the target. Throws Error on any failure.
  void commit();
  // Deletes TARGET.tmp-PID files that writers killed before commit() left behind. Only for a
  // caller that knows it is the target's one writer (a batch job holding its journal's lock).
  static void remove_leftovers(const std::filesystem::path& target);

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace strata::cli
