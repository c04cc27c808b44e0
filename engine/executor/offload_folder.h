// OffloadFolder: a private folder under --offload-dir for one executor's disk-resident KV cache
// files ("strata-kv-<pid>-<n>"), removed with everything in it when the owner goes away — at the
// end of a block, and on every error path, since unwinding runs the destructor. Only a killed
// process (SIGKILL) leaves it behind; the name says which process made it.
#pragma once

#include <cstdint>
#include <filesystem>

namespace strata {

class OffloadFolder {
 public:
  // Creates the folder; InputError when `parent` is not a writable directory.
  explicit OffloadFolder(const std::filesystem::path& parent);
  ~OffloadFolder();  // removes the folder; never throws
  OffloadFolder(const OffloadFolder&) = delete;
  OffloadFolder& operator=(const OffloadFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Creates `name` in the folder with `bytes` preallocated (posix_fallocate, so a full disk
  // fails here, before any work, not in the middle of a write). Throws IoError naming the file.
  std::filesystem::path preallocate(const std::string& name, uint64_t bytes) const;

 private:
  std::filesystem::path path_;
};

}  // namespace strata
