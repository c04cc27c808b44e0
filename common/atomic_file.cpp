#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace strata {
namespace {

// A write that failed is the machine's problem (disk full, I/O error), not the user's input:
// Error, exit 1, naming the output and the reason.
[[noreturn]] void fail_write(const std::string& name, const char* what, int error) {
  throw Error(str_cat(name, ": ", what, " (", std::strerror(error), ")"));
}

// The temporary beside the target, created by this call alone (O_EXCL, never through a symlink
// planted under its name) with the target's permission bits, so that a private output stays
// private once renamed into place.
void create_temp(const std::filesystem::path& temp, const std::filesystem::path& target,
                 const std::string& name) {
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST && ::unlink(temp.c_str()) == 0) {  // this PID's own leftover
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  }
  if (fd < 0) fail_input(name, ": cannot write ", temp.string(), " (", std::strerror(errno), ")");
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    (void)::fchmod(fd, st.st_mode & 07777);
    (void)!::fchown(fd, st.st_uid, st.st_gid);  // allowed only to root or the owner: best effort
  }
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(const std::filesystem::path& target, const std::string& what)
    : path_(resolve_output(target, what)),
      name_(what.empty() ? target.string() : what + " " + target.string()) {
  if (path_.in_place) {
    // Appending: a device ignores it, and `--output /dev/stdout >> log` keeps what log held.
    out_.open(path_.target, std::ios::binary | std::ios::app);
  } else {
    temp_ = path_.target.string() + ".tmp-" + std::to_string(::getpid());
    create_temp(temp_, path_.target, name_);
    out_.open(temp_, std::ios::binary | std::ios::trunc);
  }
  if (!out_.good()) fail_input(name_, ": cannot write (", std::strerror(errno), ")");
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_.empty()) {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_.good()) fail_write(name_, "write failed", errno);
  out_.close();
  if (out_.fail()) fail_write(name_, "write failed", errno);
  if (path_.in_place) {
    committed_ = true;
    return;
  }
  // fsync before rename: after a crash the target holds either the old or the complete new file.
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const int sync_errno = errno;
  if (fd >= 0) ::close(fd);
  if (!synced) fail_write(name_, "fsync failed", sync_errno);
  if (::rename(temp_.c_str(), path_.target.c_str()) != 0) {
    fail_write(name_, "cannot rename the finished output into place", errno);
  }
  committed_ = true;
}

void AtomicFile::remove_leftovers(const std::filesystem::path& named) {
  OutputPath path;
  try {
    path = resolve_output(named, "");
  } catch (const InputError&) {
    return;  // nothing of ours can be there
  }
  if (path.in_place) return;
  const auto& target = path.target;
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      std::filesystem::remove(entry.path(), ec);  // best effort, like the destructor's
    }
  }
}

}  // namespace strata
