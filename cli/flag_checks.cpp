#include "cli/flag_checks.h"

#include <cmath>
#include <optional>

#include "common/error.h"
#include "planner/byte_size.h"

namespace strata::cli {

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  const std::string what = str_cat("an integer from ", lo, " to ", hi);
  return CLI::Validator(
      [lo, hi, what](std::string& text) -> std::string {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size() || v < lo || v > hi) {
          return str_cat("expected ", what, ", got '", text, "'");
        }
        return "";
      },
      what);
}

uint64_t parse_size_flag(const std::string& text, const std::string& flag) {
  const std::optional<double> bytes = parse_byte_size(text);
  constexpr double kMaxBytes = 1152921504606846976.0;  // 1 EiB
  STRATA_CHECK_INPUT(bytes.has_value(), flag, ": '", text,
                     "' is not a size (examples: 16GiB, 1.5TB, 204GB, 123456)");
  STRATA_CHECK_INPUT(std::isfinite(*bytes) && *bytes >= 1.0 && *bytes <= kMaxBytes, flag, ": '",
                     text, "' must be a positive size of at most 1 EiB (examples: 16GiB, 1.5TB)");
  return uint64_t(*bytes);
}

}  // namespace strata::cli
