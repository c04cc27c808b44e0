// Group-wise asymmetric min/max quantization formats and their exact byte layout.
//
// A format quantizes an fp32 matrix W[rows, cols] (row-major; for weights rows = out features,
// cols = in features, y = x . W^T) in groups of `group_size` consecutive elements along one axis.
// Each group stores an fp16 scale and an fp16 minimum (GroupHeader) and one unsigned code per
// element, 4 bits (levels 0..15) or 8 bits (0..255); a value dequantizes to
//     fmaf(float(code), scale, min)                      (one fp32 rounding, see group_codec.h)
//
// GroupAxis::kCols (default; weights and KV cache): groups run along a row (the contiguous,
// reduction dimension), so a dot product over a row applies one scale/min per group.
//   row r           = groups_per_row(cols) blocks, row_bytes(cols) bytes, at byte r * row_bytes
//   block           = [scale f16][min f16][codes: group_size * bits / 8 bytes]   (block_bytes)
//   4-bit codes     = byte j holds element 2j in bits 0..3 and element 2j+1 in bits 4..7
//   ragged last group (cols % group_size != 0): a full block; missing elements have code 0
//   => rows [r0, r1) are the one byte range [r0 * row_bytes, r1 * row_bytes).
//
// GroupAxis::kRows (FlexGen's axis): groups run down a column over `group_size` rows. Rows are
// stored in bands of group_size rows:
//   band b          = [headers: cols x (scale f16, min f16)][codes: group_size rows x
//                     row_code_bytes(cols)]                                      (band_bytes)
//   row code bytes  = ceil(cols * bits / 8); 4-bit: byte j holds column 2j (low), 2j+1 (high)
//   ragged last band (rows % group_size != 0): a full band; missing rows have code 0
//   => rows [r0, r1) with r0, r1 multiples of group_size (or r1 = rows) are one byte range.
//
// Every byte of packed_bytes() is written by the quantizer (padding is zero), so packed
// matrices compare bytewise. A byte range of whole rows (kCols) or whole bands (kRows) is itself a
// valid packed matrix of that many rows. Little-endian host assumed (x86-64, CUDA).
#pragma once

#include <cstdint>
#include <string>

#include "quant/fp16.h"

namespace strata::quant {

enum class QuantBits : uint8_t { k4 = 4, k8 = 8 };
enum class GroupAxis : uint8_t { kCols = 0, kRows = 1 };

struct QuantFormat {
  QuantBits bits = QuantBits::k4;
  int32_t group_size = 64;  // a multiple of 8 in [8, kMaxGroupSize]
  GroupAxis axis = GroupAxis::kCols;
};

inline constexpr int32_t kMaxGroupSize = 8192;

// Per-group parameters, stored little-endian at the head of a block (kCols) or in a band's
// header array (kRows).
struct GroupHeader {
  uint16_t scale;  // fp16 bits: step between adjacent codes, >= 0, never -0
  uint16_t min;    // fp16 bits: value of code 0, never -0
};
static_assert(sizeof(GroupHeader) == 4, "GroupHeader must be two packed fp16 values");

STRATA_QUANT_HD static constexpr int bit_count(QuantBits b) { return int(b); }
// Highest code: 15 or 255.
STRATA_QUANT_HD static constexpr int code_levels(QuantBits b) { return (1 << int(b)) - 1; }
STRATA_QUANT_HD static constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// kCols block: header + codes of one group.
STRATA_QUANT_HD static constexpr int64_t block_bytes(const QuantFormat& f) {
  return int64_t(sizeof(GroupHeader)) + int64_t(f.group_size) * bit_count(f.bits) / 8;
}

// The default blocks as structs, to pin the layout at compile time (FlexGen: 36 bytes per 64).
struct BlockQ4G64 {
  GroupHeader header;
  uint8_t codes[32];
};
struct BlockQ8G64 {
  GroupHeader header;
  uint8_t codes[64];
};
static_assert(sizeof(BlockQ4G64) == 36 && alignof(BlockQ4G64) == 2, "q4 g64 block is 36 bytes");
static_assert(sizeof(BlockQ8G64) == 68 && alignof(BlockQ8G64) == 2, "q8 g64 block is 68 bytes");
static_assert(block_bytes(QuantFormat{QuantBits::k4, 64, GroupAxis::kCols}) == sizeof(BlockQ4G64));
static_assert(block_bytes(QuantFormat{QuantBits::k8, 64, GroupAxis::kCols}) == sizeof(BlockQ8G64));
// group_size % 8 == 0 keeps every block a whole number of 32-bit words (CUDA loads words).
static_assert(block_bytes(QuantFormat{QuantBits::k4, 8, GroupAxis::kCols}) % 4 == 0);

// ---- kCols layout ----
STRATA_QUANT_HD static constexpr int64_t groups_per_row(const QuantFormat& f, int64_t cols) {
  return ceil_div(cols, f.group_size);
}
STRATA_QUANT_HD static constexpr int64_t row_bytes(const QuantFormat& f, int64_t cols) {
  return groups_per_row(f, cols) * block_bytes(f);
}

// ---- kRows layout ----
STRATA_QUANT_HD static constexpr int64_t row_code_bytes(const QuantFormat& f, int64_t cols) {
  return ceil_div(cols * bit_count(f.bits), 8);
}
STRATA_QUANT_HD static constexpr int64_t band_bytes(const QuantFormat& f, int64_t cols) {
  return cols * int64_t(sizeof(GroupHeader)) + int64_t(f.group_size) * row_code_bytes(f, cols);
}
STRATA_QUANT_HD static constexpr int64_t band_count(const QuantFormat& f, int64_t rows) {
  return ceil_div(rows, f.group_size);
}

// Rows that form one independently decodable unit: 1 (kCols) or group_size (kRows).
STRATA_QUANT_HD static constexpr int64_t rows_per_unit(const QuantFormat& f) {
  return f.axis == GroupAxis::kCols ? 1 : f.group_size;
}

// A packed quantized matrix [rows, cols] (non-owning view; host or device memory by context).
struct QuantMatrix {
  QuantFormat format;
  const uint8_t* data = nullptr;  // packed_bytes(format, rows, cols) bytes
  int64_t rows = 0;
  int64_t cols = 0;
};

// Throws strata::Error unless bits is 4 or 8 and group_size a multiple of 8 in [8, 8192].
void check_format(const QuantFormat& f);

// Exact size of a packed [rows, cols] matrix (rows, cols >= 0). Checks the format.
int64_t packed_bytes(const QuantFormat& f, int64_t rows, int64_t cols);

struct ByteRange {
  int64_t offset = 0;
  int64_t size = 0;
};

// Bytes of rows [row_begin, row_end) inside a packed [rows, cols] matrix. Throws unless the range
// is in bounds and, for kRows, both ends are multiples of group_size (row_end may equal rows).
ByteRange row_range_bytes(const QuantFormat& f, int64_t rows, int64_t cols, int64_t row_begin,
                          int64_t row_end);

// "q4 g64 cols" -- for error messages and logs.
std::string format_name(const QuantFormat& f);

}  // namespace strata::quant
