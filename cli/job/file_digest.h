// A content digest of a file (xxHash64, hex), used to tell whether a job's input changed
// between a run and its --resume.
#pragma once

#include <filesystem>
#include <string>

namespace strata::cli {

std::string file_digest(const std::filesystem::path& path);

}  // namespace strata::cli
