#include "quant/format.h"

#include "common/error.h"

namespace strata::quant {

void check_format(const QuantFormat& f) {
  STRATA_CHECK(f.bits == QuantBits::k4 || f.bits == QuantBits::k8,
               "quant bits must be 4 or 8, got ", int(f.bits));
  STRATA_CHECK(f.group_size >= 8 && f.group_size <= kMaxGroupSize && f.group_size % 8 == 0,
               "quant group size must be a multiple of 8 in [8, ", kMaxGroupSize, "], got ",
               f.group_size);
  STRATA_CHECK(f.axis == GroupAxis::kCols || f.axis == GroupAxis::kRows, "quant group axis ",
               int(f.axis), " is neither cols nor rows");
}

int64_t packed_bytes(const QuantFormat& f, int64_t rows, int64_t cols) {
  check_format(f);
  STRATA_CHECK(rows >= 0 && cols >= 0, "packed_bytes of a [", rows, ", ", cols, "] matrix");
  if (rows == 0 || cols == 0) return 0;
  if (f.axis == GroupAxis::kCols) return rows * row_bytes(f, cols);
  return band_count(f, rows) * band_bytes(f, cols);
}

ByteRange row_range_bytes(const QuantFormat& f, int64_t rows, int64_t cols, int64_t row_begin,
                          int64_t row_end) {
  check_format(f);
  STRATA_CHECK(rows >= 0 && cols >= 0 && 0 <= row_begin && row_begin <= row_end && row_end <= rows,
               "rows [", row_begin, ", ", row_end, ") of a [", rows, ", ", cols, "] matrix");
  if (cols == 0 || row_begin == row_end) return {0, 0};
  if (f.axis == GroupAxis::kCols) {
    const int64_t stride = row_bytes(f, cols);
    return {row_begin * stride, (row_end - row_begin) * stride};
  }
  const int64_t g = f.group_size;
  STRATA_CHECK(row_begin % g == 0 && (row_end % g == 0 || row_end == rows), "rows [", row_begin,
               ", ", row_end, ") do not start and end on ", format_name(f), " band boundaries");
  const int64_t stride = band_bytes(f, cols);
  return {row_begin / g * stride, (band_count(f, row_end) - row_begin / g) * stride};
}

std::string format_name(const QuantFormat& f) {
  return str_cat("q", int(f.bits), " g", f.group_size,
                 f.axis == GroupAxis::kCols ? " cols" : " rows");
}

}  // namespace strata::quant
