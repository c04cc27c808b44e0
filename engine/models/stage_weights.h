// StageWeights: the tensors one stage computes with, by the family's role ids (tensor_table.h),
// as views over wherever they live (all-in-memory arenas, the executor's device arenas or
// homes). A role without a tensor (no bias, no affine norm) gives an empty Tensor.
#pragma once

#include <utility>
#include <vector>

#include "engine/core/tensor.h"

namespace strata {

class StageWeights {
 public:
  void set(int role, Tensor t) { tensors_.emplace_back(role, t); }
  Tensor get(int role) const {
    for (const auto& [r, t] : tensors_) {
      if (r == role) return t;
    }
    return Tensor();
  }

 private:
  std::vector<std::pair<int, Tensor>> tensors_;  // a dozen at most: a scan beats a map
};

}  // namespace strata
