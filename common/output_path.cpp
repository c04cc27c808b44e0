#include "common/output_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/error.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's own limit on a path's symlinks (ELOOP)

// The file a chain of symlinks ends at (which need not exist); nullopt on a loop.
std::optional<fs::path> follow_links(fs::path p) {
  for (int i = 0; i < kMaxLinks; ++i) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::error_code ec;
    const fs::path link = fs::read_symlink(p, ec);
    if (ec) return p;
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  return std::nullopt;
}

std::string shown(const std::string& what, const fs::path& p) {
  return what.empty() ? p.string() : what + " " + p.string();
}

// /dev/stdout, /dev/stderr, /dev/fd/N and /proc/PID/fd/N name an open file of the process:
// written in place whatever they lead to (a redirect `>> log` must be neither renamed over nor
// truncated). Checked on the name and on every symlink on the way.
bool names_open_file(fs::path p) {
  for (int i = 0; i < kMaxLinks; ++i) {
    const std::string s = p.string();
    if (s == "/dev/stdout" || s == "/dev/stderr" || s.rfind("/dev/fd/", 0) == 0 ||
        (s.rfind("/proc/", 0) == 0 && s.find("/fd/") != std::string::npos)) {
      return true;
    }
    struct stat st {};
    std::error_code ec;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return false;
    const fs::path link = fs::read_symlink(p, ec);
    if (ec) return false;
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  return false;
}

}  // namespace

OutputPath resolve_output(const fs::path& named, const std::string& what) {
  const std::string name = shown(what, named);
  STRATA_CHECK_INPUT(!named.empty(), what, ": an empty path");
  STRATA_CHECK_INPUT(named != "-", name, ": standard output is not supported here; give a file "
                     "(or /dev/stdout)");
  OutputPath out{named, named, false};
  struct stat st {};
  if (::stat(named.c_str(), &st) == 0) {
    STRATA_CHECK_INPUT(!S_ISDIR(st.st_mode), name, ": is a directory (give a file name)");
    STRATA_CHECK_INPUT(!S_ISBLK(st.st_mode) && !S_ISSOCK(st.st_mode), name,
                       ": is a block device or a socket; refusing to write there");
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || names_open_file(named)) {
      out.in_place = true;  // /dev/stdout, /dev/null, a FIFO: written directly
      return out;
    }
  } else {
    STRATA_CHECK_INPUT(errno == ENOENT, name, ": ", std::strerror(errno));
  }
  const std::optional<fs::path> target = follow_links(named);
  STRATA_CHECK_INPUT(target.has_value(), name, ": too many levels of symbolic links");
  out.target = *target;
  const fs::path dir = out.target.has_parent_path() ? out.target.parent_path() : fs::path(".");
  std::error_code ec;
  STRATA_CHECK_INPUT(fs::is_directory(dir, ec), name, ": directory ", dir.string(),
                     " does not exist");
  STRATA_CHECK_INPUT(::access(dir.c_str(), W_OK) == 0, name, ": directory ", dir.string(),
                     " is not writable");
  return out;
}

bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  const bool ea = ::stat(a.c_str(), &sa) == 0, eb = ::stat(b.c_str(), &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (ea != eb) return false;
  // Neither exists yet: the same path once symlinks, . and .. are resolved.
  const std::optional<fs::path> ta = follow_links(a), tb = follow_links(b);
  if (!ta || !tb) return false;
  std::error_code ec1, ec2;
  const fs::path ca = fs::weakly_canonical(fs::absolute(*ta), ec1);
  const fs::path cb = fs::weakly_canonical(fs::absolute(*tb), ec2);
  return !ec1 && !ec2 && ca == cb;
}

void refuse_shared_paths(const std::vector<NamedPath>& outputs,
                         const std::vector<NamedPath>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& o = outputs[i];
    if (o.path.empty() || o.path == "-") continue;
    for (size_t j = 0; j < i; ++j) {
      const NamedPath& p = outputs[j];
      STRATA_CHECK_INPUT(p.path.empty() || p.path == "-" || !same_file(o.path, p.path),
                         shown(o.what, o.path), ": names the same file as ",
                         shown(p.what, p.path), "; give each output its own file");
    }
    for (const NamedPath& in : inputs) {
      STRATA_CHECK_INPUT(in.path.empty() || in.path == "-" || !same_file(o.path, in.path),
                         shown(o.what, o.path), ": would overwrite the input ",
                         shown(in.what, in.path));
    }
  }
}

}  // namespace strata
