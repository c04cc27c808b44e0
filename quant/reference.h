// Scalar reference quantizer and dequantizer: the definition of the format (format.h,
// group_codec.h) written as plainly as possible. Every SIMD and CUDA kernel is tested against it.
//
// Non-finite inputs are rejected here (strata::Error naming the element); finite inputs beyond
// the fp16 range are saturated to +-65504 first. The quantizer writes every byte of the output,
// padding included (zeros), so two packed matrices compare bytewise.
#pragma once

#include <cstdint>

#include "quant/format.h"

namespace strata::quant {

// x: [rows, cols] fp32 row-major (caller owns). out: packed_bytes(f, rows, cols) bytes (caller
// owns), overwritten. Throws on a bad format or shape, or a NaN / infinite element.
void quantize_ref(const QuantFormat& f, const float* x, int64_t rows, int64_t cols, uint8_t* out);

// Rows [row_begin, row_end) of w, dequantized into out: [row_end - row_begin, w.cols] fp32
// row-major (caller owns).
void dequantize_ref(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out);

// The header of the group that holds element (r, c), for tests and diagnostics.
GroupHeader group_header_ref(const QuantMatrix& w, int64_t r, int64_t c);

// Shared argument check of every dequantizer and GEMM front: format, shape, row range, pointers.
void check_dequantize_args(const QuantMatrix& w, int64_t row_begin, int64_t row_end,
                           const void* out);

}  // namespace strata::quant
