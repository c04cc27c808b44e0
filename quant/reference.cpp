#include "quant/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "quant/group_codec.h"

namespace strata::quant {
namespace {

float checked_input(const float* x, int64_t cols, int64_t r, int64_t c) {
  const float v = x[r * cols + c];
  STRATA_CHECK(std::isfinite(v), "quantize: element (", r, ", ", c, ") is ", v,
               "; NaN and infinity cannot be quantized");
  return saturate_to_fp16_range(v);
}

void put_code(uint8_t* out, const ElementPlace& at, uint32_t code) {
  out[at.code] = uint8_t(out[at.code] | (code << at.shift));  // padding was zeroed first
}

// One group of n elements starting at (r0, c0): along the row (kCols) or down the column (kRows).
void quantize_group(const QuantFormat& f, const float* x, int64_t cols, int64_t r0, int64_t c0,
                    int64_t n, uint8_t* out) {
  const bool along_row = f.axis == GroupAxis::kCols;
  auto row = [&](int64_t i) { return along_row ? r0 : r0 + i; };
  auto col = [&](int64_t i) { return along_row ? c0 + i : c0; };
  float lo = checked_input(x, cols, r0, c0), hi = lo;
  for (int64_t i = 1; i < n; ++i) {
    const float v = checked_input(x, cols, row(i), col(i));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const GroupHeader h = make_group_header(lo, hi, f.bits);
  const float scale = f16_to_f32(h.scale), min = f16_to_f32(h.min);
  store_header(out + element_place(f, cols, r0, c0).header, h);
  for (int64_t i = 0; i < n; ++i) {
    const float v = saturate_to_fp16_range(x[row(i) * cols + col(i)]);
    put_code(out, element_place(f, cols, row(i), col(i)),
             encode_value(v, scale, min, code_levels(f.bits)));
  }
}

}  // namespace

void quantize_ref(const QuantFormat& f, const float* x, int64_t rows, int64_t cols, uint8_t* out) {
  const int64_t bytes = packed_bytes(f, rows, cols);  // checks format and shape
  if (bytes == 0) return;
  STRATA_CHECK(x != nullptr && out != nullptr, "quantize of a [", rows, ", ", cols,
               "] matrix with a null pointer");
  std::memset(out, 0, size_t(bytes));
  const int64_t g = f.group_size;
  if (f.axis == GroupAxis::kCols) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c0 = 0; c0 < cols; c0 += g) {
        quantize_group(f, x, cols, r, c0, std::min(g, cols - c0), out);
      }
    }
  } else {
    for (int64_t r0 = 0; r0 < rows; r0 += g) {
      for (int64_t c = 0; c < cols; ++c) {
        quantize_group(f, x, cols, r0, c, std::min(g, rows - r0), out);
      }
    }
  }
}

void check_dequantize_args(const QuantMatrix& w, int64_t row_begin, int64_t row_end,
                           const void* out) {
  const int64_t bytes = packed_bytes(w.format, w.rows, w.cols);  // checks format and shape
  STRATA_CHECK(0 <= row_begin && row_begin <= row_end && row_end <= w.rows, "rows [", row_begin,
               ", ", row_end, ") of a [", w.rows, ", ", w.cols, "] ", format_name(w.format),
               " matrix");
  if (row_begin == row_end || w.cols == 0) return;
  STRATA_CHECK(bytes == 0 || (w.data != nullptr && out != nullptr), "dequantize of a [", w.rows,
               ", ", w.cols, "] matrix with a null pointer");
}

void dequantize_ref(const QuantMatrix& w, int64_t row_begin, int64_t row_end, float* out) {
  check_dequantize_args(w, row_begin, row_end, out);
  const QuantFormat& f = w.format;
  const bool q4 = f.bits == QuantBits::k4;
  auto code_at = [q4](const uint8_t* codes, int64_t i) -> uint32_t {
    return q4 ? (codes[i / 2] >> ((i & 1) * 4)) & 0xfu : codes[i];
  };
  // Each element is exactly dequantize_element() of group_codec.h, with the header of a group
  // (kCols) or the code row of a band (kRows) located once.
  for (int64_t r = row_begin; r < row_end; ++r) {
    float* o = out + (r - row_begin) * w.cols;
    if (f.axis == GroupAxis::kCols) {
      for (int64_t c0 = 0; c0 < w.cols; c0 += f.group_size) {
        const ElementPlace at = element_place(f, w.cols, r, c0);
        const GroupHeader h = load_header(w.data + at.header);
        const float scale = f16_to_f32(h.scale), min = f16_to_f32(h.min);
        const int64_t n = std::min<int64_t>(f.group_size, w.cols - c0);
        for (int64_t i = 0; i < n; ++i) {
          o[c0 + i] = decode_value(code_at(w.data + at.code, i), scale, min);
        }
      }
    } else {
      const ElementPlace at = element_place(f, w.cols, r, 0);
      for (int64_t c = 0; c < w.cols; ++c) {
        const GroupHeader h = load_header(w.data + at.header + c * 4);
        o[c] = decode_value(code_at(w.data + at.code, c), f16_to_f32(h.scale), f16_to_f32(h.min));
      }
    }
  }
}

GroupHeader group_header_ref(const QuantMatrix& w, int64_t r, int64_t c) {
  STRATA_CHECK(0 <= r && r < w.rows && 0 <= c && c < w.cols, "element (", r, ", ", c, ") of a [",
               w.rows, ", ", w.cols, "] matrix");
  return load_header(w.data + element_place(w.format, w.cols, r, c).header);
}

}  // namespace strata::quant
