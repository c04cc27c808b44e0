// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum of every tensor
// and side file in a converted weight store. Standard convention (initial value and final xor
// ~0), so crc32c("123456789") == 0xE3069283, and values can be extended piecewise:
//   crc32c(b, nb, crc32c(a, na)) == crc32c(a ++ b).
// The hardware path (SSE4.2 crc32 instruction) is chosen at run time; the table-driven software
// path gives identical results and is exposed so tests can compare the two.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

// Checksum of data[0, len), continuing from a previous result (0 to start).
uint32_t crc32c(const void* data, size_t len, uint32_t previous = 0);

// The checksum of A ++ B from crc32c(A), crc32c(B) and B's length (zlib's crc32_combine, for
// CRC32C): combine is linear, so crc32c_of_slice below can undo it.
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

// The checksum of bytes [a, b) of a buffer, given the checksums of its prefixes [0, a) and
// [0, b): the inverse of crc32c_combine.
uint32_t crc32c_of_slice(uint32_t crc_prefix_a, uint32_t crc_prefix_b, uint64_t len);

// The portable slicing-by-8 implementation behind crc32c() when SSE4.2 is absent.
uint32_t crc32c_software(const void* data, size_t len, uint32_t previous = 0);

// Whether crc32c() uses the SSE4.2 instruction on this machine.
bool crc32c_hardware_available();

}  // namespace strata
