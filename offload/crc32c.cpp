#include "offload/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace strata {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

// Slicing-by-8 tables, computed at compile time: table[0] is the byte-at-a-time table; table[k]
// advances a byte that sits k positions further ahead (Intel's "slicing-by-8" scheme).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

// crc here is the raw register (already inverted); callers do the ~ on entry and exit.
uint32_t software_update(uint32_t crc, const unsigned char* p, size_t len) {
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian load (x86, arm64)
    word ^= crc;
    crc = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
          kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
          kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
          kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    len -= 8;
  }
  while (len--) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
// Compiled for SSE4.2 regardless of the build's -march; only called after a CPUID check.
__attribute__((target("sse4.2"))) uint32_t hardware_update(uint32_t crc, const unsigned char* p,
                                                             size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    len -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (len--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

// a * b modulo the CRC polynomial, both in the reflected bit order (x^0 is bit 31).
uint32_t multiply_mod_poly(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPolyReflected : b >> 1;
  }
  return product;
}

// x^(8 * len) modulo the polynomial: appending len bytes shifts a checksum by this factor.
uint32_t x_pow_8n(uint64_t len) {
  uint32_t result = 1u << 31;      // x^0
  uint32_t square = 1u << 23;      // x^8 (one byte), squared at each bit of len
  for (; len != 0; len >>= 1) {
    if (len & 1) result = multiply_mod_poly(result, square);
    square = multiply_mod_poly(square, square);
  }
  return result;
}

}  // namespace

bool crc32c_hardware_available() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

uint32_t crc32c_software(const void* data, size_t len, uint32_t previous) {
  return ~software_update(~previous, static_cast<const unsigned char*>(data), len);
}

uint32_t crc32c(const void* data, size_t len, uint32_t previous) {
#if defined(__x86_64__)
  // The CPUID answer cannot change while the process runs; a function-local constant keeps the
  // check off the per-call path without any mutable global.
  static const bool hardware = crc32c_hardware_available();
  if (hardware) return ~hardware_update(~previous, static_cast<const unsigned char*>(data), len);
#endif
  return crc32c_software(data, len, previous);
}

}  // namespace strata

namespace strata {

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  return multiply_mod_poly(x_pow_8n(len_b), crc_a) ^ crc_b;
}

// crc(A ++ B) = shift(crc(A)) ^ crc(B) over GF(2), so crc(B) = shift(crc(A)) ^ crc(A ++ B).
uint32_t crc32c_of_slice(uint32_t crc_prefix_a, uint32_t crc_prefix_b, uint64_t len) {
  return crc32c_combine(crc_prefix_a, crc_prefix_b, len);
}

}  // namespace strata
