// Weight store round trip: tensors written with WeightStoreWriter come back byte for byte (whole,
// as ranges, as whole layer files) at 4096-aligned offsets; verify() finds a flipped byte and
// names the tensor; bad stores are InputErrors naming file and field; an existing store is
// refused or replaced; an unfinished writer leaves nothing behind.
#include <catch2/catch.hpp>

#include <random>

#include "offload/crc32c.h"
#include "offload/weight_store.h"
#include "offload/weight_store_writer.h"
#include "offload_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

struct TestTensor {
  std::string file, name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::vector<TestTensor> make_tensors(uint32_t seed) {
  std::vector<TestTensor> ts = {
      {"globals.bin", "decoder.embed_tokens.weight", "f32", {37, 16}, ""},
      {"globals.bin", "decoder.final_layer_norm.weight", "f16", {16}, ""},
      {"globals.bin", "decoder.empty", "f32", {0}, ""},
      {"layer_000.bin", "decoder.layers.0.fc1.weight", "bf16", {64, 16}, ""},
      {"layer_000.bin", "decoder.layers.0.fc1.bias", "f32", {64}, ""},
      {"layer_000.bin", "decoder.layers.0.big", "f16", {3, 4099}, ""},
      {"layer_001.bin", "decoder.layers.1.fc1.weight", "bf16", {64, 16}, ""},
      {"layer_001.bin", "decoder.layers.1.fc1.bias", "f32", {64}, ""},
  };
  for (size_t i = 0; i < ts.size(); ++i) {
    size_t n = *store_dtype_size(ts[i].dtype);
    for (int64_t d : ts[i].shape) n *= size_t(d);
    ts[i].bytes = ut::random_bytes(n, seed + uint32_t(i));
  }
  return ts;
}

void write_store(const fs::path& store, const std::vector<TestTensor>& ts,
                 WeightStoreWriterOptions options = {}) {
  WeightStoreWriter w(store, std::move(options));
  w.set_model_config({{"model_type", "opt"}, {"hidden_size", "16"}, {"num_hidden_layers", "2"}});
  for (const TestTensor& t : ts) {
    w.add_tensor(t.file, {t.name, t.dtype, t.shape, t.bytes.size()}, t.bytes.data());
  }
  w.add_side_file("config.json", "{\"model_type\": \"opt\"}\n");
  w.finish();
}

}  // namespace

TEST_CASE("WeightStore round trip: aligned layout, exact bytes, ranges, whole files", "[store]") {
  ut::TempDir dir;
  const fs::path store = dir / "store";
  const auto ts = make_tensors(100);
  write_store(store, ts);
  CHECK(fs::exists(store / "manifest.yaml"));
  CHECK(ut::read_file(store / "config.json") == "{\"model_type\": \"opt\"}\n");
  for (const auto& e : fs::directory_iterator(dir.path())) {
    CHECK(e.path().filename() == "store");  // no temporary directory left
  }

  WeightStore s = WeightStore::open(store);
  REQUIRE(s.tensors().size() == ts.size());
  CHECK(s.manifest().quant == "none");
  CHECK(s.manifest().model.at(1) == std::pair<std::string, std::string>{"hidden_size", "16"});
  REQUIRE(s.manifest().files.size() == 3);
  for (const StoreFile& f : s.manifest().files) {
    CHECK(f.bytes % 4096 == 0);
    CHECK(fs::file_size(store / f.name) == f.bytes);
  }
  std::mt19937 rng(3);
  for (const TestTensor& t : ts) {
    INFO(t.name);
    const StoreTensor& e = s.require(t.name);
    CHECK(e.offset % 4096 == 0);
    CHECK(e.file == t.file);
    CHECK(e.dtype == t.dtype);
    CHECK(e.shape == t.shape);
    CHECK(e.length == t.bytes.size());
    CHECK(e.crc32c == crc32c(t.bytes.data(), t.bytes.size()));
    const AlignedBuffer whole = s.read(t.name);
    CHECK(std::string(whole.data<char>(), whole.size()) == t.bytes);
    for (int k = 0; k < 20 && !t.bytes.empty(); ++k) {
      const uint64_t begin = rng() % t.bytes.size();
      const uint64_t length = rng() % (t.bytes.size() - begin + 1);
      const AlignedBuffer part = s.read_range(t.name, begin, length);
      REQUIRE(std::string(part.data<char>(), length) == t.bytes.substr(begin, length));
    }
    CHECK_THROWS_AS(s.read_range(t.name, 0, t.bytes.size() + 1), Error);
  }
  // A layer file is one read: every tensor at its offset, zeros in between.
  const StoreFile& layer0 = s.manifest().files[1];
  AlignedBuffer file(layer0.bytes);
  s.read_file_range(layer0.name, 0, layer0.bytes, file.data());
  for (const TestTensor& t : ts) {
    if (t.file != layer0.name) continue;
    const StoreTensor& e = s.require(t.name);
    CHECK(std::string(file.data<char>() + e.offset, e.length) == t.bytes);
    const size_t pad = AlignedBuffer::round_up(e.length) - e.length;
    CHECK(std::string(file.data<char>() + e.offset + e.length, pad) == std::string(pad, '\0'));
  }
  CHECK_THROWS_AS(s.require("decoder.nothing"), InputError);

  const StoreVerifyReport report = s.verify();
  CHECK(report.ok());
  CHECK(report.tensors_checked == ts.size());
  CHECK(report.side_files_checked == 1);
}

TEST_CASE("WeightStore verify names every tensor whose bytes changed", "[store]") {
  ut::TempDir dir;
  const fs::path store = dir / "store";
  const auto ts = make_tensors(200);
  WeightStoreOptions small_slices;
  small_slices.verify_slice_bytes = 4096;  // several slices per tensor
  write_store(store, ts);
  const std::string target = "decoder.layers.1.fc1.bias";
  uint64_t offset = 0;
  {
    WeightStore s = WeightStore::open(store);
    offset = s.require(target).offset + 5;
  }
  std::string bytes = ut::read_file(store / "layer_001.bin");
  bytes[offset] ^= 0x01;
  ut::write_file(store / "layer_001.bin", bytes);
  std::string config = ut::read_file(store / "config.json");
  config[0] = '[';
  ut::write_file(store / "config.json", config);

  // Opening for use refuses the changed side file at once, naming it.
  try {
    WeightStore::open(store);
    FAIL("a store with a changed config.json was opened");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("config.json") &&
                                          Catch::Contains("checksum mismatch"));
  }
  // Opening to verify reports every problem instead (convert --verify).
  small_slices.check_side_files = false;
  WeightStore s = WeightStore::open(store, small_slices);
  const StoreVerifyReport report = s.verify();
  REQUIRE(report.problems.size() == 2);
  CHECK(report.problems[0].tensor == target);
  CHECK_THAT(report.problems[0].line(),
             Catch::StartsWith((store / "layer_001.bin").string() + ": tensor " + target +
                               ": checksum mismatch"));
  CHECK_THAT(report.problems[1].line(), Catch::Contains("config.json") &&
                                            Catch::Contains("checksum mismatch"));
  CHECK(report.tensors_checked == ts.size());
}

TEST_CASE("WeightStore rejects broken stores with errors naming file and field", "[store]") {
  ut::TempDir dir;
  const fs::path store = dir / "store";
  write_store(store, make_tensors(300));
  const std::string manifest = ut::read_file(store / "manifest.yaml");
  const std::string manifest_path = (store / "manifest.yaml").string();

  SECTION("missing manifest") {
    fs::remove(store / "manifest.yaml");
    CHECK_THROWS_WITH(WeightStore::open(store),
                      Catch::Contains(manifest_path) && Catch::Contains("missing"));
  }
  SECTION("not YAML") {
    ut::write_file(store / "manifest.yaml", "format: [unclosed\n  - {");
    CHECK_THROWS_AS(WeightStore::open(store), InputError);
    CHECK_THROWS_WITH(WeightStore::open(store), Catch::Contains(manifest_path) &&
                                                    Catch::Contains("not valid YAML"));
  }
  SECTION("a field missing or wrong") {
    std::string m = manifest;
    m.replace(m.find("offset: "), 8, "offzet: ");
    ut::write_file(store / "manifest.yaml", m);
    CHECK_THROWS_WITH(WeightStore::open(store),
                      Catch::Contains(manifest_path) && Catch::Contains("tensors[0]") &&
                          Catch::Contains("offset") && Catch::Contains("missing"));
    m = manifest;
    m.replace(m.find("format_version: 1"), 17, "format_version: 9");
    ut::write_file(store / "manifest.yaml", m);
    CHECK_THROWS_WITH(WeightStore::open(store), Catch::Contains("format_version 9"));
    m = manifest;
    m.replace(m.find("quant: none"), 11, "quant: w3g7");
    ut::write_file(store / "manifest.yaml", m);
    CHECK_THROWS_WITH(WeightStore::open(store), Catch::Contains("quant"));
  }
  SECTION("a data file shorter than a tensor in it") {
    fs::resize_file(store / "layer_000.bin", 4096 + 10);
    CHECK_THROWS_AS(WeightStore::open(store), InputError);
    CHECK_THROWS_WITH(WeightStore::open(store),
                      Catch::Contains((store / "layer_000.bin").string()) &&
                          Catch::Contains("decoder.layers.0.") && Catch::Contains("truncated"));
  }
  SECTION("a data file missing") {
    fs::remove(store / "layer_001.bin");
    CHECK_THROWS_WITH(WeightStore::open(store), Catch::Contains("layer_001.bin"));
  }
  SECTION("not a store at all") {
    CHECK_THROWS_AS(WeightStore::open(dir / "nothing"), InputError);
  }
}

TEST_CASE("WeightStoreWriter refuses or replaces an existing store, and cleans up", "[store]") {
  ut::TempDir dir;
  const fs::path store = dir / "store";
  write_store(store, make_tensors(400));
  const std::string before = ut::read_file(store / "layer_000.bin");

  CHECK_THROWS_WITH(write_store(store, make_tensors(500)),
                    Catch::Contains(store.string()) && Catch::Contains("already exists"));
  CHECK(ut::read_file(store / "layer_000.bin") == before);

  WeightStoreWriterOptions replace;
  replace.existing = WeightStoreWriterOptions::Existing::replace;
  const auto fresh = make_tensors(600);
  write_store(store, fresh, replace);
  WeightStore s = WeightStore::open(store);
  const AlignedBuffer b = s.read("decoder.layers.0.fc1.bias");
  CHECK(std::string(b.data<char>(), b.size()) == fresh[4].bytes);
  CHECK(s.verify().ok());

  // --force never deletes a directory that is not a store.
  fs::create_directories(dir / "precious");
  ut::write_file(dir / "precious" / "notes.txt", "keep me");
  CHECK_THROWS_WITH(write_store(dir / "precious", fresh, replace),
                    Catch::Contains("not a Strata store"));
  CHECK(ut::read_file(dir / "precious" / "notes.txt") == "keep me");

  // An unfinished writer (an exception mid-way) leaves neither the store nor its temporary.
  {
    WeightStoreWriter w(dir / "half");
    w.add_tensor("globals.bin", {"a", "f32", {4}, 16}, fresh[0].bytes.data());
    CHECK(fs::exists(w.temp_dir()));
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"precious", "store"});
}

}  // namespace strata
