// IoError: a failed file read or write, naming the file, the operation, the offset and length of
// the request, where it failed and the errno (0 for an unexpected end of file). The what()
// message holds all of them in one line, e.g.
//   "/s/layer_003.bin: read of 8192 bytes at offset 4096 failed at offset 8192: end of file
//    (file is 6000 bytes)"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace strata {

class IoError : public Error {
 public:
  IoError(std::string message, std::string path, uint64_t offset, size_t length, int error)
      : Error(std::move(message)),
        path_(std::move(path)),
        offset_(offset),
        length_(length),
        errno_(error) {}

  const std::string& path() const { return path_; }
  uint64_t offset() const { return offset_; }
  size_t length() const { return length_; }
  int error_number() const { return errno_; }  // 0: end of file, not a kernel error

  // The same error with context appended ("...; writing tensor fc1.weight of store S").
  IoError with_context(const std::string& context) const {
    return IoError(std::string(what()) + "; " + context, path_, offset_, length_, errno_);
  }

 private:
  std::string path_;
  uint64_t offset_;
  size_t length_;
  int errno_;
};

}  // namespace strata
