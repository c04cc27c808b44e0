// Workspace: scratch activations of one forward step, reused across layers, one matrix per role
// (the family names its roles and their widths). Default: host vectors that grow to each
// request (all-in-memory use). With a block: views carved from caller-owned device memory sized
// for steps of at most max_rows rows (the executor's, on any backend), never reallocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/tensor.h"

namespace strata {

class Workspace {
 public:
  Workspace() = default;
  // role_cols[r]: the widest row role r ever holds.
  Workspace(void* block, size_t bytes, int64_t max_rows, const std::vector<int64_t>& role_cols);
  // Floats a block needs for steps of max_rows rows.
  static size_t block_floats(int64_t max_rows, const std::vector<int64_t>& role_cols);

  // A [rows, cols] f32 matrix of this role's storage (its previous contents are not kept).
  Tensor matrix(int role, int64_t rows, int64_t cols);

 private:
  struct Slot {
    std::vector<float> host;
    float* fixed = nullptr;
    size_t fixed_floats = 0;
  };
  std::vector<Slot> slots_;
};

}  // namespace strata
