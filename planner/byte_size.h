// Byte quantities as people write them: "15 GiB", "1.5TB", "204GB", "123456". Binary units
// (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000.
#pragma once

#include <optional>
#include <string>

namespace strata {

// Bytes, or nullopt when `text` is not a non-negative number with an optional unit.
std::optional<double> parse_byte_size(const std::string& text);

// "41.3 GiB" (one decimal; MiB below 1 GiB so small buffers stay readable).
std::string format_gib(double bytes);

}  // namespace strata
