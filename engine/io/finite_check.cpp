#include "engine/io/finite_check.h"

#include <cstring>

#include "common/error.h"

namespace strata {
namespace {

// The index of the first element whose exponent bits are all ones (NaN or infinity), or -1.
template <typename Bits>
int64_t first_non_finite(const void* data, uint64_t count, Bits exponent_mask) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (uint64_t i = 0; i < count; ++i) {
    Bits v;
    std::memcpy(&v, p + i * sizeof(Bits), sizeof(Bits));
    if ((v & exponent_mask) == exponent_mask) return int64_t(i);
  }
  return -1;
}

}  // namespace

void check_finite(const void* data, DType dtype, uint64_t bytes, const std::string& where) {
  int64_t bad = -1;
  if (dtype == DType::f32) {
    bad = first_non_finite<uint32_t>(data, bytes / 4, 0x7f800000u);
  } else if (dtype == DType::f16) {
    bad = first_non_finite<uint16_t>(data, bytes / 2, uint16_t(0x7c00));
  } else if (dtype == DType::bf16) {
    bad = first_non_finite<uint16_t>(data, bytes / 2, uint16_t(0x7f80));
  }
  if (bad < 0) return;
  fail_input(where, ": element ", bad, " is NaN or infinite; a model's weights must be finite");
}

}  // namespace strata
