// CRC32C against published vectors (the check value of the CRC catalogue and RFC 3720's iSCSI
// examples), hardware against software on random data, and piecewise extension.
#include <catch2/catch.hpp>

#include <string>

#include "offload/crc32c.h"
#include "offload_test_util.h"

namespace strata {

TEST_CASE("crc32c matches the published check values", "[crc]") {
  const std::string check = "123456789";
  CHECK(crc32c(check.data(), check.size()) == 0xE3069283u);
  CHECK(crc32c_software(check.data(), check.size()) == 0xE3069283u);
  CHECK(crc32c(nullptr, 0) == 0u);

  // RFC 3720 appendix B.4: 32 bytes of zeros, of ones, ascending and descending.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[size_t(i)] = char(i);
    down[size_t(i)] = char(31 - i);
  }
  for (auto f : {&crc32c, &crc32c_software}) {
    CHECK(f(zeros.data(), 32, 0) == 0x8A9136AAu);
    CHECK(f(ones.data(), 32, 0) == 0x62A8AB43u);
    CHECK(f(up.data(), 32, 0) == 0x46DD794Eu);
    CHECK(f(down.data(), 32, 0) == 0x113FDB5Cu);
  }
}

TEST_CASE("crc32c hardware and software paths agree and extend piecewise", "[crc]") {
  INFO("SSE4.2 available: " << crc32c_hardware_available());
  const std::string data = ut::random_bytes(70000, 7);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    // Random start (any alignment) and length, including the 0..7-byte tails.
    const size_t begin = rng() % 5000;
    const size_t length = trial < 20 ? size_t(trial) : rng() % (data.size() - begin);
    const char* p = data.data() + begin;
    const uint32_t whole = crc32c(p, length);
    REQUIRE(whole == crc32c_software(p, length));
    const size_t cut = length == 0 ? 0 : rng() % length;
    CHECK(crc32c(p + cut, length - cut, crc32c(p, cut)) == whole);
    CHECK(crc32c_software(p + cut, length - cut, crc32c_software(p, cut)) == whole);
  }
  // A single flipped bit changes the checksum.
  std::string flipped = data;
  flipped[12345] ^= 0x10;
  CHECK(crc32c(flipped.data(), flipped.size()) != crc32c(data.data(), data.size()));
}

TEST_CASE("crc32c of a slice from its prefixes' checksums equals the slice's own", "[crc]") {
  const std::string data = ut::random_bytes(70000, 9);
  std::mt19937 rng(13);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t a = trial < 10 ? 0 : rng() % data.size();
    const size_t b = a + (trial % 7 == 0 ? 0 : rng() % (data.size() - a + 1));
    const uint32_t prefix_a = crc32c(data.data(), a), prefix_b = crc32c(data.data(), b);
    const uint32_t slice = crc32c(data.data() + a, b - a);
    CHECK(crc32c_of_slice(prefix_a, prefix_b, b - a) == slice);
    CHECK(crc32c_combine(prefix_a, slice, b - a) == prefix_b);
  }
  // A slice that differs by one bit does not match its prefixes.
  std::string flipped = data.substr(1000, 3000);
  flipped[77] ^= 0x01;
  CHECK(crc32c_of_slice(crc32c(data.data(), 1000), crc32c(data.data(), 4000), 3000) !=
        crc32c(flipped.data(), flipped.size()));
}

}  // namespace strata
