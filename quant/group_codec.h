// The per-group arithmetic of the format, shared verbatim by the scalar reference, the AVX2
// kernels (their vector forms must match it bit for bit) and the CUDA kernels (STRATA_QUANT_HD).
//
// For a group with values in [lo, hi] (after saturation to the fp16 range) and L = 2^bits - 1:
//   min   = fp16 rounded toward -inf from lo           => min <= every value
//   scale = fp16 rounded toward +inf from (hi - min)/L => fmaf(L, scale, min) >= hi
//   code  = clamp(rint((x - min) / scale), 0, L)       (fp32 ops, ties to even; 0 if scale == 0)
//   value = fmaf(code, scale, min)                     (one fp32 rounding)
// So every x lies inside [min, min + L*scale] and |x - value| <= scale/2 up to fp32 rounding,
// where scale/2 <= step/2 + (fp16 rounding slack of scale and min), step = (hi - lo)/L.
#pragma once

#include <cmath>
#include <cstdint>

#include "quant/format.h"
#include "quant/fp16.h"

namespace strata::quant {

// Values beyond the fp16 range are clipped to +-65504 (so scale and min stay finite fp16). On
// the device NaN also saturates (to -65504) because a kernel cannot throw; the host quantizer
// rejects NaN and infinities before it gets here.
STRATA_QUANT_HD static inline float saturate_to_fp16_range(float x) {
  return fminf(fmaxf(x, -kFp16Max), kFp16Max);
}

// lo <= hi, both within [-kFp16Max, kFp16Max].
STRATA_QUANT_HD static inline GroupHeader make_group_header(float lo, float hi, QuantBits bits) {
  const int levels = code_levels(bits);
  const uint16_t min_bits = f16_round_down(lo);
  const float min = f16_to_f32(min_bits);
  uint16_t scale_bits = f16_round_up_nonneg((double(hi) - double(min)) / double(levels));
  // The double division above may land a hair below the exact quotient; make sure the top code
  // still reaches hi in the fp32 arithmetic the dequantizers use.
  for (int i = 0; i < 2 && fmaf(float(levels), f16_to_f32(scale_bits), min) < hi; ++i) {
    ++scale_bits;
  }
  return GroupHeader{scale_bits, min_bits};
}

STRATA_QUANT_HD static inline uint32_t encode_value(float x, float scale, float min, int levels) {
  if (!(scale > 0.0f)) return 0;  // constant group: every value equals min exactly
  const float v = rintf((x - min) / scale);
  if (!(v > 0.0f)) return 0;
  return v >= float(levels) ? uint32_t(levels) : uint32_t(v);
}

STRATA_QUANT_HD static inline float decode_value(uint32_t code, float scale, float min) {
  return fmaf(float(code), scale, min);
}

// ---- byte access (little-endian, no alignment assumed) ----
STRATA_QUANT_HD static inline GroupHeader load_header(const uint8_t* p) {
  return GroupHeader{uint16_t(p[0] | (p[1] << 8)), uint16_t(p[2] | (p[3] << 8))};
}
STRATA_QUANT_HD static inline void store_header(uint8_t* p, GroupHeader h) {
  p[0] = uint8_t(h.scale);
  p[1] = uint8_t(h.scale >> 8);
  p[2] = uint8_t(h.min);
  p[3] = uint8_t(h.min >> 8);
}

// Where element (r, c) of a packed [rows, cols] matrix keeps its header and its code.
struct ElementPlace {
  int64_t header;  // byte offset of its GroupHeader
  int64_t code;    // byte offset of the byte holding its code
  int shift;       // 0, or 4 for the high nibble of a 4-bit pair
};

STRATA_QUANT_HD static inline ElementPlace element_place(const QuantFormat& f, int64_t cols,
                                                         int64_t r, int64_t c) {
  const int64_t g = f.group_size;
  const bool q4 = f.bits == QuantBits::k4;
  if (f.axis == GroupAxis::kCols) {
    const int64_t header = r * row_bytes(f, cols) + (c / g) * block_bytes(f);
    const int64_t i = c % g;
    return {header, header + 4 + (q4 ? i / 2 : i), q4 ? int(i & 1) * 4 : 0};
  }
  const int64_t band = (r / g) * band_bytes(f, cols);
  const int64_t codes = band + cols * 4 + (r % g) * row_code_bytes(f, cols);
  return {band + c * 4, codes + (q4 ? c / 2 : c), q4 ? int(c & 1) * 4 : 0};
}

STRATA_QUANT_HD static inline uint32_t load_code(const uint8_t* packed, const ElementPlace& at,
                                                 QuantBits bits) {
  const uint32_t byte = packed[at.code];
  return bits == QuantBits::k4 ? (byte >> at.shift) & 0xfu : byte;
}

// Dequantized element (r, c) of a packed matrix: the scalar definition every kernel matches.
STRATA_QUANT_HD static inline float dequantize_element(const QuantFormat& f, const uint8_t* packed,
                                                       int64_t cols, int64_t r, int64_t c) {
  const ElementPlace at = element_place(f, cols, r, c);
  const GroupHeader h = load_header(packed + at.header);
  return decode_value(load_code(packed, at, f.bits), f16_to_f32(h.scale), f16_to_f32(h.min));
}

}  // namespace strata::quant
