#include "cli/job/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"

namespace strata::cli {
namespace {

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// Names the settings that differ between a journal and this run, for the refusal message.
std::string differences(const nlohmann::ordered_json& was, const nlohmann::ordered_json& now) {
  std::string out;
  for (const auto& [key, value] : now.items()) {
    if (!was.contains(key) || was[key] != value) {
      out += (out.empty() ? "" : ", ") + key + " (was " +
             (was.contains(key) ? was[key].dump() : "absent") + ", now " + value.dump() + ")";
    }
  }
  return out;
}

}  // namespace

Journal Journal::create(const std::filesystem::path& path, const nlohmann::ordered_json& header) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid() && errno == EEXIST) {
    fail_input(path.string(), " exists: an earlier run of this job was interrupted; add --resume "
               "to continue it, or delete the file to start over");
  }
  STRATA_CHECK_INPUT(fd.valid(), path.string(), ": cannot create: ", std::strerror(errno));
  Journal j(path, std::move(fd));
  j.write_all(dump(header));
  return j;
}

Journal Journal::resume(const std::filesystem::path& path, const nlohmann::ordered_json& header,
                        std::map<int64_t, nlohmann::ordered_json>& done) {
  if (!std::filesystem::exists(path)) return create(path, header);
  std::ifstream in(path, std::ios::binary);
  std::string text;
  uint64_t good_bytes = 0;  // bytes of complete, parsed lines: what survives a torn tail
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (in.eof()) break;  // no newline: a torn last line from a kill mid-append
    const auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line == 1) {
      STRATA_CHECK_INPUT(j.is_object() && j.contains("strata_journal"), path.string(),
                         ":1: not a Strata journal");
      if (j != header) {
        fail_input(path.string(), ": this journal belongs to another job: ",
                   differences(j, header), "; delete it to start over");
      }
    } else {
      if (j.is_discarded() || !j.contains("index") || !j.contains("line")) break;
      done[j["index"].get<int64_t>()] = j["line"];
    }
    good_bytes += text.size() + 1;
  }
  STRATA_CHECK_INPUT(good_bytes > 0, path.string(), ": empty or torn header; delete it to start over");
  // Cut a torn tail so later appends start on a line boundary.
  std::filesystem::resize_file(path, good_bytes);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  STRATA_CHECK_INPUT(fd.valid(), path.string(), ": cannot reopen: ", std::strerror(errno));
  return Journal(path, std::move(fd));
}

void Journal::append(const std::vector<std::pair<int64_t, nlohmann::ordered_json>>& lines) {
  std::string bytes;
  for (const auto& [index, line] : lines) {
    nlohmann::ordered_json entry;
    entry["index"] = index;
    entry["line"] = line;
    bytes += dump(entry);
  }
  write_all(bytes);
}

void Journal::write_all(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    STRATA_CHECK_INPUT(n > 0, path_.string(), ": write failed: ", std::strerror(errno));
    done += size_t(n);
  }
  STRATA_CHECK_INPUT(::fsync(fd_.get()) == 0, path_.string(), ": fsync failed: ",
                     std::strerror(errno));
}

void Journal::remove() {
  fd_.reset();
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

}  // namespace strata::cli
