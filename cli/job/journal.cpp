#include "cli/job/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"
#include "common/json_guard.h"

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

// One run at a time per journal: a second `strata run` on the same --output (a requeued task
// whose first copy still runs) would interleave its lines. flock is released when the fd closes.
// Where the filesystem has no locks (ENOLCK, ENOSYS, EOPNOTSUPP: Lustre without -o flock), the
// job runs unprotected rather than not at all.
void lock_or_refuse(const UniqueFd& fd, const std::filesystem::path& path) {
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    fail_input(path.string(), ": another strata run is working on this job (same --output); wait "
               "for it to end, or give each run its own --output");
  }
}

// After a reboot the journal must still be found: sync the directory entry once, at creation.
void fsync_parent(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());  // best effort: some filesystems refuse fsync on a dir
}

}  // namespace

Journal Journal::create(const std::filesystem::path& path, const nlohmann::ordered_json& header) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid() && errno == EEXIST) {
    fail_input(path.string(), " exists: an earlier run of this job was interrupted; add --resume "
               "to continue it, or delete the file to start over");
  }
  STRATA_CHECK_INPUT(fd.valid(), path.string(), ": cannot create: ", std::strerror(errno));
  lock_or_refuse(fd, path);
  Journal j(path, std::move(fd));
  j.write_all(dump(header));
  fsync_parent(path);
  return j;
}

Journal Journal::resume(const std::filesystem::path& path, const nlohmann::ordered_json& header,
                        std::map<int64_t, nlohmann::ordered_json>& done) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) return create(path, header);  // nothing to resume: start
  STRATA_CHECK_INPUT(fd.valid(), path.string(), ": cannot open: ", std::strerror(errno));
  lock_or_refuse(fd, path);
  std::ifstream in(path, std::ios::binary);
  std::string text;
  uint64_t good_bytes = 0;  // bytes of complete, parsed lines: what survives a torn tail
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (in.eof()) break;  // no newline: a torn last line from a kill mid-append
    check_json_depth(text, path.string() + ":" + std::to_string(line));
    const auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line == 1) {
      STRATA_CHECK_INPUT(j.is_object() && j.contains("strata_journal"), path.string(),
                         ":1: not a Strata journal; delete it to start over");
      if (j.contains("input_digest") && j["input_digest"] != header["input_digest"]) {
        fail_input(path.string(), ": the input file changed since this job began (digest ",
                   j["input_digest"].dump(), ", now ", header["input_digest"].dump(),
                   "); restore it, or delete the journal to start over");
      }
      if (j != header) {
        fail_input(path.string(), ": this journal belongs to another job: ",
                   differences(j, header), "; run with the same settings, or delete the journal "
                   "to start over");
      }
    } else {
      // Every complete line was appended whole by a run (a kill can only tear the last one,
      // which has no newline): a complete line that is not an entry was edited or injected.
      const std::string where = path.string() + ":" + std::to_string(line);
      STRATA_CHECK_INPUT(j.is_object() && j.contains("index") && j["index"].is_number_integer() &&
                             j["index"].get<int64_t>() >= 0 && j.contains("line") &&
                             j["line"].is_object(),
                         where, ": not a journal entry (edited?); delete the journal to start "
                         "over");
      const int64_t index = j["index"].get<int64_t>();
      STRATA_CHECK_INPUT(done.emplace(index, j["line"]).second, where, ": request ", index,
                         " is recorded twice (edited?); delete the journal to start over");
    }
    good_bytes += text.size() + 1;
  }
  // Cut a torn tail so later appends start on a line boundary.
  STRATA_CHECK_INPUT(::ftruncate(fd.get(), off_t(good_bytes)) == 0, path.string(),
                     ": cannot cut its torn tail: ", std::strerror(errno));
  Journal j(path, std::move(fd));
  // No complete header: killed while the journal was being created, so nothing had finished.
  if (good_bytes == 0) j.write_all(dump(header));
  return j;
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
    // The machine's failure (disk full, I/O error), not the user's input: exit 1, not 2.
    if (n <= 0) throw Error(str_cat(path_.string(), ": write failed: ", std::strerror(errno)));
    done += size_t(n);
  }
  if (::fsync(fd_.get()) != 0) {
    throw Error(str_cat(path_.string(), ": fsync failed: ", std::strerror(errno)));
  }
}

void Journal::remove() {
  fd_.reset();
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

}  // namespace strata::cli
