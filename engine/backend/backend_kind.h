// Which compute backend runs the ops, and how `--backend auto|cpu|cuda` is resolved.
#pragma once

#include <string>
#include <string_view>

namespace strata {

enum class BackendKind { cpu, cuda };

enum class BackendRequest { automatic, cpu, cuda };

BackendRequest parse_backend_request(std::string_view text);  // throws InputError

struct BackendChoice {
  BackendKind kind = BackendKind::cpu;
  std::string notice;  // one line for stderr when the choice differs from what was asked, or ""
};

// automatic: the CPU backend, with one notice line when a GPU answers (CUDA becomes the automatic
// choice once a GPU session has validated it). cuda: CUDA; a clear InputError when the build has
// no CUDA or no GPU answers.
BackendChoice choose_backend(BackendRequest request);

}  // namespace strata
