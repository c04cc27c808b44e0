#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace strata {

AtomicFile::AtomicFile(const std::filesystem::path& target, const std::string& what)
    : path_(resolve_output(target, what)),
      name_(what.empty() ? target.string() : what + " " + target.string()) {
  if (path_.in_place) {
    out_.open(path_.target, std::ios::binary);
  } else {
    temp_ = path_.target.string() + ".tmp-" + std::to_string(::getpid());
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
  const int flush_errno = errno;
  STRATA_CHECK_INPUT(out_.good(), name_, ": write failed (", std::strerror(flush_errno), ")");
  out_.close();
  STRATA_CHECK_INPUT(!out_.fail(), name_, ": write failed (", std::strerror(errno), ")");
  if (path_.in_place) {
    committed_ = true;
    return;
  }
  // fsync before rename: after a crash the target holds either the old or the complete new file.
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const int sync_errno = errno;
  if (fd >= 0) ::close(fd);
  STRATA_CHECK_INPUT(synced, temp_.string(), ": fsync failed: ", std::strerror(sync_errno));
  STRATA_CHECK_INPUT(::rename(temp_.c_str(), path_.target.c_str()) == 0, name_,
                     ": cannot rename the finished output into place: ", std::strerror(errno));
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
