// Element types of stored tensors. Compute is fp32; storage may be f32, f16 or bf16, or a
// group-wise quantized packed format (q4, q8: quant/format.h, groups along each row, i.e.
// GroupAxis::kCols). A packed dtype has no per-element size: its bytes per row depend on the
// group size, which TensorFormat (below) and Tensor carry beside the dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

enum class DType : uint8_t { f32, f16, bf16, i32, q4, q8 };

constexpr bool is_quantized(DType t) { return t == DType::q4 || t == DType::q8; }

// Bytes per element; 0 for the packed dtypes (see format_row_bytes).
constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    case DType::q4:
    case DType::q8: return 0;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::q4: return "q4";
    case DType::q8: return "q8";
  }
  return "?";
}

// Safetensors spells dtypes "F32", "F16", "BF16", "I32"; others are not model weights we run.
std::optional<DType> dtype_from_safetensors(std::string_view name);

// How a stored tensor's elements are encoded: a dtype, plus the group size for q4/q8 (groups of
// group_size consecutive elements of a row, one fp16 scale and minimum each; quant/format.h).
// Implicit from a plain DType so callers that only know dense dtypes need no change.
struct TensorFormat {
  DType dtype = DType::f32;
  int32_t group_size = 0;  // q4/q8 only; 0 for dense dtypes
  TensorFormat(DType d = DType::f32, int32_t group = 0) : dtype(d), group_size(group) {}  // NOLINT
  bool operator==(const TensorFormat&) const = default;
};

// Bytes of one row of `cols` elements (a packed row: ceil(cols / group) blocks of
// 4 + group * bits / 8 bytes). A 1-D tensor is one element per row (cols = 1); packed formats
// are 2-D only.
size_t format_row_bytes(const TensorFormat& f, int64_t cols);

// The store's spelling: "f32", "f16", "bf16", "i32", "q4g64", "q8g128".
std::string format_name(const TensorFormat& f);
// "f32" | "f16" | "bf16" | "q<4|8>g<N>" with N a multiple of 8 in [8, 8192]; nullopt otherwise.
std::optional<TensorFormat> parse_tensor_format(std::string_view name);

}  // namespace strata
