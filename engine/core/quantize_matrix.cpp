#include "engine/core/quantize_matrix.h"

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "engine/core/convert.h"
#include "quant/reference.h"

namespace strata {

quant::QuantFormat quant_format_of(const TensorFormat& f) {
  STRATA_CHECK(is_quantized(f.dtype), "quant_format_of a dense ", format_name(f));
  const quant::QuantFormat q{f.dtype == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8,
                             f.group_size, quant::GroupAxis::kCols};
  quant::check_format(q);
  return q;
}

void quantize_matrix(const void* src, DType dtype, int64_t rows, int64_t cols,
                     const TensorFormat& format, void* dst, const std::string& name) {
  const quant::QuantFormat q = quant_format_of(format);
  const int64_t band = std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(cols, 1));
  const size_t in_row = dtype_size(dtype) * size_t(cols), out_row = format_row_bytes(format, cols);
  std::vector<float> f32(size_t(std::min(band, rows) * cols));
  for (int64_t r0 = 0; r0 < rows; r0 += band) {
    const int64_t n = std::min(band, rows - r0);
    convert_to_f32(static_cast<const char*>(src) + size_t(r0) * in_row, dtype, n * cols,
                   f32.data());
    try {
      quant::quantize_ref(q, f32.data(), n, cols,
                          static_cast<uint8_t*>(dst) + size_t(r0) * out_row);
    } catch (const Error& e) {
      fail_input("tensor ", name, " (row ", r0, " onwards): ", e.what());
    }
  }
}

}  // namespace strata
