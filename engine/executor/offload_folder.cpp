#include "engine/executor/offload_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "common/dead_leftovers.h"
#include "common/error.h"
#include "offload/io_error.h"
#include "offload/unique_fd.h"

namespace strata {

namespace fs = std::filesystem;

OffloadFolder::OffloadFolder(const fs::path& parent) {
  std::error_code ec;
  STRATA_CHECK_INPUT(fs::is_directory(parent, ec), "--offload-dir ", parent.string(),
                     ": not a directory");
  STRATA_CHECK_INPUT(::access(parent.c_str(), W_OK) == 0, "--offload-dir ", parent.string(),
                     ": not writable");
  remove_dead_leftovers(parent, "strata-kv-", "-");  // KV folders of killed runs on this host
  static std::atomic<int64_t> counter{0};
  for (;;) {
    path_ = parent / ("strata-kv-" + process_tag() + "-" + std::to_string(counter++));
    if (fs::create_directory(path_, ec)) return;
    STRATA_CHECK_INPUT(!ec, "--offload-dir ", parent.string(), ": cannot create ",
                       path_.filename().string(), ": ", ec.message());
  }
}

OffloadFolder::~OffloadFolder() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

fs::path OffloadFolder::preallocate(const std::string& name, uint64_t bytes) const {
  const fs::path file = path_ / name;
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    const int err = errno;
    throw IoError(str_cat(file.string(), ": cannot create: ", std::strerror(err)), file.string(),
                  0, 0, err);
  }
  if (bytes > 0) {
    const int err = ::posix_fallocate(fd.get(), 0, off_t(bytes));
    if (err != 0) {
      throw IoError(str_cat(file.string(), ": cannot preallocate ", bytes,
                            " bytes for the KV cache: ", std::strerror(err)),
                    file.string(), 0, bytes, err);
    }
  }
  return file;
}

}  // namespace strata
