// The bytes of a job's input, read once, and their content digest (xxHash64, hex): the requests
// are parsed from the very bytes that are digested, so a pipe or a file rewritten while it is
// read cannot give a journal header that vouches for other content than the job ran on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace strata::cli {

struct InputBytes {
  std::string name;   // for errors: the path, or "<stdin>" for "-"
  std::string bytes;
  std::string digest;
};

// "-" reads standard input. InputError naming the path when it cannot be read.
InputBytes read_input_bytes(const std::filesystem::path& path);

std::string bytes_digest(std::string_view bytes);

}  // namespace strata::cli
