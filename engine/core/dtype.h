// Element types of stored tensors. Compute is fp32; storage may be f32, f16 or bf16
// (quantized formats are described by quant/ and carried as their own packed dtypes later).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

enum class DType : uint8_t { f32, f16, bf16, i32 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
  }
  return "?";
}

// Safetensors spells dtypes "F32", "F16", "BF16", "I32"; others are not model weights we run.
std::optional<DType> dtype_from_safetensors(std::string_view name);

}  // namespace strata
