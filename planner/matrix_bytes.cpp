#include "planner/matrix_bytes.h"

#include "common/error.h"

namespace strata {

namespace {
constexpr uint64_t kGroup = 64;
constexpr uint64_t kGroupMetaBytes = 4;  // fp16 scale + fp16 min per group
}  // namespace

int dense_element_bytes(StorageFormat format) {
  switch (format) {
    case StorageFormat::kF32: return 4;
    case StorageFormat::kF16:
    case StorageFormat::kBF16: return 2;
    case StorageFormat::kQ8Group64:
    case StorageFormat::kQ4Group64: break;
  }
  STRATA_CHECK(false, "format ", static_cast<int>(format), " is not dense");
}

StorageFormat stored_format(StorageFormat dense, Compression compression) {
  switch (compression) {
    case Compression::kNone: return dense;
    case Compression::kQ4: return StorageFormat::kQ4Group64;
    case Compression::kQ8: return StorageFormat::kQ8Group64;
  }
  STRATA_CHECK(false, "unknown compression ", static_cast<int>(compression));
}

uint64_t default_matrix_bytes(uint64_t rows, uint64_t cols, StorageFormat format) {
  if (format == StorageFormat::kQ4Group64 || format == StorageFormat::kQ8Group64) {
    const bool four_bit = format == StorageFormat::kQ4Group64;
    const uint64_t full = cols / kGroup;
    const uint64_t rest = cols % kGroup;
    const uint64_t full_bytes = (four_bit ? kGroup / 2 : kGroup) + kGroupMetaBytes;
    uint64_t row = full * full_bytes;
    if (rest != 0) row += (four_bit ? (rest + 1) / 2 : rest) + kGroupMetaBytes;
    return rows * row;
  }
  return rows * cols * static_cast<uint64_t>(dense_element_bytes(format));
}

}  // namespace strata
