// Exact stored size of a matrix in each storage format: the one place that knows how many bytes
// dense and group-quantized data take. quant/ owns the real packed layout; until the planner is
// wired to it this function mirrors its definition, and PlanInputs::matrix_bytes lets a caller
// inject quant's own byte count instead.
#pragma once

#include <cstdint>
#include <functional>

#include "common/policy.h"

namespace strata {

enum class StorageFormat { kF32, kF16, kBF16, kQ8Group64, kQ4Group64 };

// Bytes per element of a dense format; throws strata::Error for a quantized one.
int dense_element_bytes(StorageFormat format);

// The format a dense matrix is stored in after `compression` (kNone keeps `dense`).
StorageFormat stored_format(StorageFormat dense, Compression compression);

// Bytes of a rows x cols row-major matrix (cols = the input / reduction dimension).
// Quantized: groups of 64 consecutive values along each row; per full group 4-bit costs
// 32 bytes of nibbles + fp16 scale + fp16 min = 36 bytes, 8-bit 64 + 4 = 68 bytes; a ragged last
// group of r values costs ceil(r/2) + 4 (4-bit) or r + 4 (8-bit) bytes.
uint64_t default_matrix_bytes(uint64_t rows, uint64_t cols, StorageFormat format);

using MatrixBytesFn = std::function<uint64_t(uint64_t rows, uint64_t cols, StorageFormat format)>;

}  // namespace strata
