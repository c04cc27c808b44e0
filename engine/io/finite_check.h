// Weights read from a checkpoint must be finite: a NaN or an infinity in one weight turns every
// token after it into garbage without any error. Checked as each tensor (or row range) is read,
// which costs one pass over bytes that were just read from disk.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/dtype.h"

namespace strata {

// InputError "WHERE: element K is NaN (or Inf); a model's weights must be finite" for the first
// non-finite element of f32, f16 or bf16 data (other dtypes are not checked).
void check_finite(const void* data, DType dtype, uint64_t bytes, const std::string& where);

}  // namespace strata
