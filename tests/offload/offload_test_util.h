// Helpers for the offload tests: seeded random bytes, a file of random bytes, the reference
// pread, and a collecting warning sink. Temporary folders come from engine/test_support.h.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/test_support.h"
#include "offload/uring_file_options.h"

namespace strata::ut {

inline std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = char(rng() & 0xFF);
  return s;
}

// The reference every UringFile read is compared with: plain buffered pread.
inline std::string pread_reference(const std::filesystem::path& path, uint64_t offset,
                                   size_t length) {
  std::string out(length, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  size_t done = 0;
  while (fd >= 0 && done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, off_t(offset + done));
    if (n <= 0) break;
    done += size_t(n);
  }
  if (fd >= 0) ::close(fd);
  out.resize(done);
  return out;
}

// A warning sink that keeps every line it is given.
struct Warnings {
  std::vector<std::string> lines;
  WarningSink sink() {
    return [this](const std::string& line) { lines.push_back(line); };
  }
};

}  // namespace strata::ut
