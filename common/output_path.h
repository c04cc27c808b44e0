// OutputPath: what a path the user named for an output really is, decided before any work, so
// that no path the user gave is ever destroyed (issue 16, point 1):
//   - a symlink (to a file that exists or not) is followed: the file it points to is written,
//     atomically, and the link stays;
//   - an existing non-regular file (a character device such as /dev/stdout or /dev/null, a
//     FIFO) is written in place, never renamed over;
//   - a directory, a missing or read-only parent directory, a socket or a symlink loop is an
//     InputError naming the flag and the path, before anything is read or computed.
// same_file() and refuse_shared_paths() catch two outputs of one command naming the same file,
// or an output naming an input, whatever spelling (./a, a symlink to a, a hard link) is used.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strata {

struct OutputPath {
  std::filesystem::path named;   // as the user gave it
  std::filesystem::path target;  // symlinks followed: the file that gets written
  bool in_place = false;         // an existing device or FIFO: written directly, no temp file
};

// `what` names the output in errors ("--output", "plan -o").
OutputPath resolve_output(const std::filesystem::path& named, const std::string& what);

// Whether two paths name the same file: the same inode when both exist, else the same path
// once symlinks and . / .. are resolved.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

struct NamedPath {
  std::string what;  // "--output", "--metrics", "--input", ...
  std::filesystem::path path;
};

// InputError when two outputs name the same file, or an output names an input. Empty paths are
// skipped (an option not given).
void refuse_shared_paths(const std::vector<NamedPath>& outputs,
                         const std::vector<NamedPath>& inputs);

}  // namespace strata
