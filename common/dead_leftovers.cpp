#include "common/dead_leftovers.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

namespace strata {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The PID in a tag "<pid>@<host>" when the host is this one.
std::optional<pid_t> own_host_pid(std::string_view tag) {
  const size_t at = tag.find('@');
  if (at == std::string_view::npos || at == 0 || at > 10 || !all_digits(tag.substr(0, at)) ||
      tag.substr(at + 1) != host_name()) {
    return std::nullopt;
  }
  return pid_t(std::stoll(std::string(tag.substr(0, at))));
}

bool alive(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

std::string process_tag() { return std::to_string(::getpid()) + "@" + host_name(); }

int remove_dead_leftovers(const std::filesystem::path& dir, std::string_view prefix,
                          std::string_view suffix) {
  const std::filesystem::path where = dir.empty() ? std::filesystem::path(".") : dir;
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(where, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string_view tag = std::string_view(name).substr(prefix.size());
    if (!suffix.empty()) {
      const size_t cut = tag.rfind(suffix);
      if (cut == std::string_view::npos || !all_digits(tag.substr(cut + suffix.size()))) continue;
      tag = tag.substr(0, cut);
    }
    const std::optional<pid_t> pid = own_host_pid(tag);
    if (!pid || alive(*pid)) continue;
    std::error_code ignored;
    if (std::filesystem::remove_all(entry.path(), ignored) > 0) ++removed;
  }
  return removed;
}

}  // namespace strata
