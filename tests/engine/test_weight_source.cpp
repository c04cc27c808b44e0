// A store's reads are all checked: a whole tensor against its manifest CRC32C, a row range of a
// tensor split over tiers against the checksums of its rows taken from one verified pass. A
// byte flipped before the first read, or between two reads of the same rows (a disk going bad
// under a running job), is an Error naming the file and tensor, never weights read silently.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <string>

#include "common/error.h"
#include "engine/io/weight_source.h"
#include "offload/weight_store_writer.h"
#include "test_support.h"

namespace strata {
namespace {

constexpr int64_t kRows = 40, kCols = 300;  // f32 rows of 1200 bytes: not 4096-aligned
constexpr uint64_t kRowBytes = uint64_t(kCols) * 4;
const char* const kName = "decoder.layers.0.fc1.weight";

std::string random_matrix(uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size_t(kRows) * kRowBytes, '\0');
  for (char& c : bytes) c = char(rng() % 0x70);  // finite f32s
  return bytes;
}

std::filesystem::path write_store(const ut::TempDir& dir, const std::string& bytes) {
  const auto store = dir / "store";
  WeightStoreWriter w(store);
  w.set_model_config({{"model_type", "opt"}});
  w.add_tensor("layer_000.bin", {kName, "f32", {kRows, kCols}, bytes.size()}, bytes.data());
  w.add_side_file("config.json", "{}\n");
  w.finish();
  return store;
}

// Flips one bit of the tensor's byte `at` in its data file (the tensor starts at offset 0).
void flip_byte(const std::filesystem::path& store, uint64_t at) {
  std::fstream f(store / "layer_000.bin", std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(std::streamoff(at));
  char c = 0;
  f.read(&c, 1);
  c = char(c ^ 0x04);
  f.seekp(std::streamoff(at));
  f.write(&c, 1);
}

std::string read_rows(WeightSource& source, int64_t first, int64_t count) {
  std::string got(size_t(count) * kRowBytes, '\0');
  source.read(kName, uint64_t(first) * kRowBytes, got.size(), got.data());
  return got;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no Error)";
}

}  // namespace

TEST_CASE("Store row ranges are checked on every read", "[store][crc]") {
  ut::TempDir dir;
  const std::string bytes = random_matrix(5);
  const auto store = write_store(dir, bytes);
  const auto rows = [&](int64_t first, int64_t count) {
    return bytes.substr(size_t(first) * kRowBytes, size_t(count) * kRowBytes);
  };

  SECTION("good ranges read back exactly, first and later reads") {
    auto source = store_source(WeightStore::open(store));
    CHECK(read_rows(*source, 0, 7) == rows(0, 7));     // the first read: a verified pass
    CHECK(read_rows(*source, 0, 7) == rows(0, 7));     // checked against the row checksums
    CHECK(read_rows(*source, 7, 20) == rows(7, 20));
    CHECK(read_rows(*source, 27, 13) == rows(27, 13));
    std::string odd(100, '\0');                          // not whole rows: a full pass, still exact
    source->read(kName, 1000, odd.size(), odd.data());
    CHECK(odd == bytes.substr(1000, 100));
  }
  SECTION("a flipped byte outside the range read first is still caught") {
    flip_byte(store, 30 * kRowBytes + 5);
    auto source = store_source(WeightStore::open(store));
    const std::string msg = error_of([&] { read_rows(*source, 0, 7); });
    CHECK(msg.find("layer_000.bin") != std::string::npos);
    CHECK(msg.find(kName) != std::string::npos);
    CHECK(msg.find("checksum mismatch") != std::string::npos);
  }
  SECTION("a byte that changes between two reads of the same rows is caught") {
    auto source = store_source(WeightStore::open(store));
    CHECK(read_rows(*source, 0, 7) == rows(0, 7));
    flip_byte(store, 3 * kRowBytes + 11);
    const std::string msg = error_of([&] { read_rows(*source, 0, 7); });
    CHECK(msg.find(kName) != std::string::npos);
    CHECK(msg.find("rows 0 to 7") != std::string::npos);
    // Rows the flip did not touch still read, and are still checked.
    CHECK(read_rows(*source, 7, 33) == rows(7, 33));
    const std::string later = error_of([&] { read_rows(*source, 2, 3); });
    CHECK(later.find("checksum mismatch") != std::string::npos);
  }
  SECTION("a batch of row ranges lands each at its place, each checked") {
    auto source = store_source(WeightStore::open(store));
    const std::vector<WeightStore::Range> ranges = {
        {2 * kRowBytes, 3 * kRowBytes}, {9 * kRowBytes, kRowBytes}, {30 * kRowBytes, 4 * kRowBytes}};
    const auto read_batch = [&] {
      std::string got(bytes.size(), '\0');
      source->read_ranges(kName, ranges, got.data());
      return got;
    };
    for (int pass = 0; pass < 2; ++pass) {  // the first verifies the tensor, the second not
      const std::string got = read_batch();
      for (const WeightStore::Range& r : ranges) {
        CHECK(got.substr(r.begin, r.length) == bytes.substr(r.begin, r.length));
      }
      CHECK(got.substr(5 * kRowBytes, kRowBytes) == std::string(kRowBytes, '\0'));  // a gap
    }
    flip_byte(store, 31 * kRowBytes + 2);  // inside the third range, after verification
    const std::string msg = error_of([&] { read_batch(); });
    CHECK(msg.find("rows 30 to 34") != std::string::npos);
    CHECK(msg.find("checksum mismatch") != std::string::npos);
  }
  SECTION("the whole tensor is checked against the manifest") {
    flip_byte(store, 17);
    auto source = store_source(WeightStore::open(store));
    std::string all(bytes.size(), '\0');
    CHECK(error_of([&] { source->read(kName, 0, all.size(), all.data()); })
              .find("checksum mismatch") != std::string::npos);
  }
}

}  // namespace strata
