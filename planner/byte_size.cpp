#include "planner/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace strata {

std::optional<double> parse_byte_size(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(value) || value < 0) return std::nullopt;
  std::string unit(end);
  unit.erase(0, unit.find_first_not_of(" \t"));
  unit.erase(unit.find_last_not_of(" \t") + 1);
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1.0},         {"B", 1.0},
      {"KB", 1e3},       {"MB", 1e6},
      {"GB", 1e9},       {"TB", 1e12},
      {"KiB", 1024.0},   {"MiB", 1024.0 * 1024},
      {"GiB", 1024.0 * 1024 * 1024}, {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) return value * scale;
  }
  return std::nullopt;
}

std::string format_gib(double bytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  char buf[64];
  if (std::abs(bytes) < 1024.0 * kMiB) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / kMiB);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * kMiB));
  }
  return buf;
}

}  // namespace strata
