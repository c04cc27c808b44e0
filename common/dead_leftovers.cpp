#include "common/dead_leftovers.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

namespace strata {
namespace {

// The PID in "strata-kv-<PID>-<N>", "<name>.tmp-<PID>" or "strata-profile-<PID>.tmp".
std::optional<pid_t> owner_pid(std::string_view name) {
  const auto digits_at = [&](size_t at, size_t end) -> std::optional<pid_t> {
    if (at >= end || end > name.size()) return std::nullopt;
    long long pid = 0;
    for (size_t i = at; i < end; ++i) {
      if (name[i] < '0' || name[i] > '9' || pid > (1ll << 31)) return std::nullopt;
      pid = pid * 10 + (name[i] - '0');
    }
    return pid > 0 ? std::optional<pid_t>(pid_t(pid)) : std::nullopt;
  };
  constexpr std::string_view kKv = "strata-kv-", kProfile = "strata-profile-", kTmp = ".tmp-";
  if (name.substr(0, kKv.size()) == kKv) {
    return digits_at(kKv.size(), name.find('-', kKv.size()));
  }
  if (name.substr(0, kProfile.size()) == kProfile && name.size() > 4 &&
      name.substr(name.size() - 4) == ".tmp") {
    return digits_at(kProfile.size(), name.size() - 4);
  }
  const size_t tmp = name.rfind(kTmp);
  if (tmp != std::string_view::npos && tmp > 0) return digits_at(tmp + kTmp.size(), name.size());
  return std::nullopt;
}

bool alive(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

int remove_dead_leftovers(const std::filesystem::path& dir) {
  std::error_code ec;
  int removed = 0;
  const std::filesystem::path where = dir.empty() ? std::filesystem::path(".") : dir;
  for (const auto& entry : std::filesystem::directory_iterator(where, ec)) {
    const std::optional<pid_t> pid = owner_pid(entry.path().filename().string());
    if (!pid || alive(*pid)) continue;
    std::error_code ignored;
    if (std::filesystem::remove_all(entry.path(), ignored) > 0) ++removed;
  }
  return removed;
}

}  // namespace strata
