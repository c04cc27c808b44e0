#include "cli/job/file_digest.h"

#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/error.h"

namespace strata::cli {

InputBytes read_input_bytes(const std::filesystem::path& path) {
  InputBytes in;
  in.name = path == "-" ? "<stdin>" : path.string();
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::error_code ec;
    STRATA_CHECK_INPUT(!std::filesystem::is_directory(path, ec), in.name,
                       ": is a directory (give the requests file)");
    std::ifstream file(path, std::ios::binary);
    STRATA_CHECK_INPUT(file.good(), in.name, ": cannot open (", std::strerror(errno), ")");
    buffer << file.rdbuf();
    STRATA_CHECK_INPUT(!file.bad(), in.name, ": read failed");
  }
  in.bytes = std::move(buffer).str();
  in.digest = bytes_digest(in.bytes);
  return in;
}

std::string bytes_digest(std::string_view bytes) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH64(bytes.data(), bytes.size(), 0)));
  return hex;
}

}  // namespace strata::cli
