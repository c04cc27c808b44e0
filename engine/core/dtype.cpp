#include "engine/core/dtype.h"

#include <charconv>

#include "common/error.h"
#include "quant/format.h"

namespace strata {

std::optional<DType> dtype_from_safetensors(std::string_view name) {
  if (name == "F32") return DType::f32;
  if (name == "F16") return DType::f16;
  if (name == "BF16") return DType::bf16;
  if (name == "I32") return DType::i32;
  return std::nullopt;
}

size_t format_row_bytes(const TensorFormat& f, int64_t cols) {
  if (!is_quantized(f.dtype)) return dtype_size(f.dtype) * size_t(cols);
  const quant::QuantFormat q{f.dtype == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8,
                             f.group_size, quant::GroupAxis::kCols};
  quant::check_format(q);
  return size_t(quant::row_bytes(q, cols));
}

std::string format_name(const TensorFormat& f) {
  if (!is_quantized(f.dtype)) return std::string(dtype_name(f.dtype));
  return str_cat(dtype_name(f.dtype), "g", f.group_size);
}

std::optional<TensorFormat> parse_tensor_format(std::string_view name) {
  if (name == "f32") return TensorFormat(DType::f32);
  if (name == "f16") return TensorFormat(DType::f16);
  if (name == "bf16") return TensorFormat(DType::bf16);
  if (name.size() < 4 || name[0] != 'q' || (name[1] != '4' && name[1] != '8') || name[2] != 'g') {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(3);
  int32_t group = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), group);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits[0] == '0' ||
      group < 8 || group > quant::kMaxGroupSize || group % 8 != 0) {
    return std::nullopt;
  }
  return TensorFormat(name[1] == '4' ? DType::q4 : DType::q8, group);
}

}  // namespace strata
