// Checks of the command line's numbers and sizes, so that each bad value is refused before any
// allocation with one line naming the flag and what it accepts (issue 16, point 3): not CLI11's
// "Value 0 not in range 0.000000 to 1797...", not a later "hardware profile: host_capacity = 0",
// and never a count so large that the job allocates until it is killed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace strata::cli {

// Generous bounds on what can exist: no block holds a million sequences, no prompt or
// generation is longer than 16M tokens on a model Strata can run.
constexpr int64_t kMaxSequences = int64_t(1) << 20;
constexpr int64_t kMaxTokens = int64_t(1) << 24;

// An integer from lo to hi: "an integer from 1 to 1048576, got 0".
CLI::Validator integer_in(int64_t lo, int64_t hi);

// A memory or disk size flag ("16GiB", "1.5TB", "123456"): positive and at most 1 EiB; else
// InputError "FLAG: 'TEXT' ..." with examples.
uint64_t parse_size_flag(const std::string& text, const std::string& flag);

}  // namespace strata::cli
