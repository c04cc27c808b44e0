// Byte layout of the packed formats: exact sizes, golden bytes, row ranges as byte ranges.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "quant/format.h"
#include "quant/reference.h"
#include "tests/quant/quant_test_util.h"

using namespace strata::quant;

TEST_CASE("packed_bytes matches hand-computed sizes", "[quant]") {
  const QuantFormat q4{QuantBits::k4, 64, GroupAxis::kCols};
  const QuantFormat q8{QuantBits::k8, 64, GroupAxis::kCols};
  // FlexGen's figure: 36 bytes per 64 values at 4 bits.
  CHECK(packed_bytes(q4, 1, 64) == 36);
  CHECK(packed_bytes(q4, 4096, 4096) == 4096 * 64 * 36);
  CHECK(packed_bytes(q8, 3, 128) == 3 * 2 * 68);
  CHECK(packed_bytes(q4, 2, 65) == 2 * 2 * 36);  // ragged: the last group is a full block
  CHECK(packed_bytes(q4, 0, 100) == 0);
  CHECK(packed_bytes(q4, 100, 0) == 0);
  // kRows: bands of 64 rows = cols headers + 64 rows of ceil(cols * bits / 8) code bytes.
  const QuantFormat r4{QuantBits::k4, 64, GroupAxis::kRows};
  CHECK(packed_bytes(r4, 64, 4096) == 4096 * 4 + 64 * 2048);
  CHECK(packed_bytes(r4, 65, 3) == 2 * (3 * 4 + 64 * 2));
  const QuantFormat r8{QuantBits::k8, 32, GroupAxis::kRows};
  CHECK(packed_bytes(r8, 100, 5) == 4 * (5 * 4 + 32 * 5));
}

TEST_CASE("quantize_ref writes exactly packed_bytes, every one of them", "[quant]") {
  std::mt19937_64 rng(test::fresh_seed());
  for (const QuantFormat& f : test::all_formats()) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {3, 70}, {67, 9}, {130, 64}}) {
      CAPTURE(format_name(f), rows, cols);
      const std::vector<float> x = test::random_matrix(rng, rows, cols, -2.0f, 3.0f);
      const int64_t bytes = packed_bytes(f, rows, cols);
      // Two different sentinels: bytes the quantizer skipped would differ between the runs.
      std::vector<uint8_t> a(size_t(bytes) + 16, 0xab), b(size_t(bytes) + 16, 0x54);
      quantize_ref(f, x.data(), rows, cols, a.data());
      quantize_ref(f, x.data(), rows, cols, b.data());
      CHECK(std::memcmp(a.data(), b.data(), size_t(bytes)) == 0);
      for (size_t i = size_t(bytes); i < a.size(); ++i) {
        REQUIRE(a[i] == 0xab);
        REQUIRE(b[i] == 0x54);
      }
    }
  }
}

TEST_CASE("golden bytes of a q4 kCols block and a q8 kRows band", "[quant]") {
  // lo = 0, hi = 15: min = 0, scale = 1 exactly, so codes are the values themselves.
  const float x[8] = {0, 15, 1, 2, 3, 4, 5, 6};
  uint8_t out[8];
  quantize_ref({QuantBits::k4, 8, GroupAxis::kCols}, x, 1, 8, out);
  const uint8_t want[8] = {0x00, 0x3c, 0x00, 0x00, 0xf0, 0x21, 0x43, 0x65};
  CHECK(std::memcmp(out, want, 8) == 0);

  // [2, 3] q8 g8 rows: one band = 3 headers + 8 rows x 3 code bytes (rows 2..7 padding).
  const float y[6] = {0, 255, -1, 255, 0, 1};  // columns {0,255}, {255,0}, {-1,1}
  const QuantFormat f{QuantBits::k8, 8, GroupAxis::kRows};
  REQUIRE(packed_bytes(f, 2, 3) == 36);
  uint8_t band[36];
  quantize_ref(f, y, 2, 3, band);
  const uint8_t headers[12] = {0x00, 0x3c, 0x00, 0x00,   // scale 1, min 0
                               0x00, 0x3c, 0x00, 0x00,   // scale 1, min 0
                               0x05, 0x20, 0x00, 0xbc};  // scale 2/255 rounded up, min -1
  CHECK(std::memcmp(band, headers, 12) == 0);
  // scale = 0x2005 = 0.00785065: 1 sits at 2 / scale = 254.76 steps, code 255 (= 1.0019).
  const uint8_t codes[6] = {0, 255, 0, 255, 0, 255};
  CHECK(std::memcmp(band + 12, codes, 6) == 0);
  for (int i = 18; i < 36; ++i) CHECK(band[i] == 0);
}

TEST_CASE("row ranges are contiguous byte ranges that stand alone", "[quant]") {
  std::mt19937_64 rng(test::fresh_seed());
  for (const QuantFormat& f : test::all_formats()) {
    const int64_t rows = 3 * f.group_size + 5, cols = 77;
    CAPTURE(format_name(f));
    const std::vector<float> x = test::random_matrix(rng, rows, cols, -1.0f, 1.0f);
    std::vector<uint8_t> whole(size_t(packed_bytes(f, rows, cols)));
    quantize_ref(f, x.data(), rows, cols, whole.data());
    const int64_t unit = rows_per_unit(f);
    for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, rows},
                          {unit, 3 * unit},
                          {2 * unit, rows},
                          {rows - 1 - (rows - 1) % unit, rows}}) {
      CAPTURE(r0, r1);
      const ByteRange range = row_range_bytes(f, rows, cols, r0, r1);
      // The range is exactly what quantizing those rows alone produces.
      std::vector<uint8_t> part(size_t(packed_bytes(f, r1 - r0, cols)));
      REQUIRE(range.size == int64_t(part.size()));
      quantize_ref(f, x.data() + r0 * cols, r1 - r0, cols, part.data());
      CHECK(std::memcmp(whole.data() + range.offset, part.data(), part.size()) == 0);
    }
    if (f.axis == GroupAxis::kRows) {
      CHECK_THROWS_AS(row_range_bytes(f, rows, cols, 1, rows), strata::Error);
      CHECK_THROWS_AS(row_range_bytes(f, rows, cols, 0, f.group_size + 1), strata::Error);
    }
    CHECK_THROWS_AS(row_range_bytes(f, rows, cols, 2, 1), strata::Error);
    CHECK_THROWS_AS(row_range_bytes(f, rows, cols, 0, rows + 1), strata::Error);
  }
}

TEST_CASE("bad formats and shapes are rejected", "[quant]") {
  CHECK_THROWS_AS(packed_bytes({QuantBits(3), 64, GroupAxis::kCols}, 1, 1), strata::Error);
  CHECK_THROWS_AS(packed_bytes({QuantBits::k4, 60, GroupAxis::kCols}, 1, 1), strata::Error);
  CHECK_THROWS_AS(packed_bytes({QuantBits::k4, 0, GroupAxis::kCols}, 1, 1), strata::Error);
  CHECK_THROWS_AS(packed_bytes({QuantBits::k4, 16384, GroupAxis::kCols}, 1, 1), strata::Error);
  CHECK_THROWS_AS(packed_bytes({QuantBits::k4, 64, GroupAxis(7)}, 1, 1), strata::Error);
  CHECK_THROWS_AS(packed_bytes({}, -1, 4), strata::Error);
  CHECK_NOTHROW(packed_bytes({QuantBits::k8, 8, GroupAxis::kRows}, 1, 1));
  float x = 1.0f;
  CHECK_THROWS_AS(quantize_ref({}, &x, 1, 1, nullptr), strata::Error);
}
