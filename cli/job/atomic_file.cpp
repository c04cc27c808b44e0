#include "cli/job/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "offload/unique_fd.h"

namespace strata::cli {

AtomicFile::AtomicFile(std::filesystem::path target)
    : target_(std::move(target)),
      temp_(target_.string() + ".tmp-" + std::to_string(::getpid())) {
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_.good()) {
    fail_input(target_.string(), ": cannot write (", std::strerror(errno), ")");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void AtomicFile::commit() {
  out_.flush();
  STRATA_CHECK_INPUT(out_.good(), temp_.string(), ": write failed (disk full?)");
  out_.close();
  // fsync before rename: after a crash the target holds either the old or the complete new file.
  UniqueFd fd(::open(temp_.c_str(), O_RDONLY | O_CLOEXEC));
  STRATA_CHECK_INPUT(fd.valid() && ::fsync(fd.get()) == 0, temp_.string(), ": fsync failed: ",
                     std::strerror(errno));
  STRATA_CHECK_INPUT(::rename(temp_.c_str(), target_.c_str()) == 0, target_.string(),
                     ": cannot rename the finished output into place: ", std::strerror(errno));
  committed_ = true;
}

void AtomicFile::remove_leftovers(const std::filesystem::path& target) {
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

}  // namespace strata::cli
