// Journal: the durable record of a batch job's finished requests, beside its output
// (OUTPUT.journal). Line 1 is a header naming what the job is (input digest, model, settings);
// each further line is {"index": i, "line": <the output line>} for one finished request.
// Lines are appended and fsync'd once per micro-batch, so after kill -9, a crash or a reboot
// every complete line is a finished result; a torn last line is dropped on resume.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "offload/unique_fd.h"

namespace strata::cli {

class Journal {
 public:
  // A fresh journal. Refuses to replace an existing one (that is an interrupted job's work).
  // The journal is flock'ed while open: a second run of the same job is refused, not interleaved.
  static Journal create(const std::filesystem::path& path, const nlohmann::ordered_json& header);
  // Reopens an interrupted job's journal, or creates one when there is none (so --resume is
  // safe to always pass). Throws InputError when its header differs from `header` (the input
  // changed, another model or settings). `done` receives the finished lines by index.
  static Journal resume(const std::filesystem::path& path, const nlohmann::ordered_json& header,
                        std::map<int64_t, nlohmann::ordered_json>& done);

  // Appends finished results and fsyncs them.
  void append(const std::vector<std::pair<int64_t, nlohmann::ordered_json>>& lines);
  // Deletes the journal once the output is complete.
  void remove();
  const std::filesystem::path& path() const { return path_; }

 private:
  Journal(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  void write_all(const std::string& bytes);

  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace strata::cli
