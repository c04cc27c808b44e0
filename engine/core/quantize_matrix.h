// Quantization of a stored weight matrix into the packed q4/q8 layout the engine runs
// (quant/format.h, GroupAxis::kCols: groups along each row). Used by the store conversion
// (`strata convert --quant`) and by in-memory quantization (`strata perplexity --quant`), so both
// produce the same bytes.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/dtype.h"
#include "quant/format.h"

namespace strata {

// quant's format for a q4/q8 TensorFormat (throws for a dense one or a bad group size).
quant::QuantFormat quant_format_of(const TensorFormat& format);

// src: [rows, cols] elements of dtype (f32, f16, bf16), row-major -> dst: rows *
// format_row_bytes(format, cols) bytes. Converts a band of rows to fp32 at a time (about 4 MiB),
// so no whole fp32 copy of the matrix exists; quantizes with the scalar reference. `name` is for
// errors (a NaN or infinite element: InputError naming the tensor and the element).
void quantize_matrix(const void* src, DType dtype, int64_t rows, int64_t cols,
                     const TensorFormat& format, void* dst, const std::string& name);

}  // namespace strata
