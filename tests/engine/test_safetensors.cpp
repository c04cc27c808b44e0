// SafetensorsFile and HfCheckpoint on small files written byte by byte in the test:
// 8-byte little-endian header length, JSON header, data. Checks parsing, reads, and that every
// malformed file is an InputError naming the file (and the tensor).
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/io/safetensors_file.h"
#include "test_support.h"

namespace strata {
namespace {

using nlohmann::json;

// The bytes of a safetensors file with this header text and data; the header is padded with
// spaces to a multiple of 8 bytes as the reference writer does.
std::string safetensors_bytes(std::string header, const std::string& data, bool pad = true) {
  while (pad && header.size() % 8 != 0) header += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xff);
  return out + header + data;
}

// Random bytes below 0x70: read as little-endian f32, f16 or bf16, no element has an all-ones
// exponent, so the checkpoint's finite-weights check (engine/io/finite_check.h) accepts them.
std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = char(rng() % 0x70);
  return s;
}

json entry(const std::string& dtype, std::vector<int64_t> shape, uint64_t begin, uint64_t end) {
  return {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
}

// open(path) must throw InputError whose message contains the path and every string in `names`.
void expect_open_error(const std::filesystem::path& path, std::initializer_list<std::string> names) {
  try {
    SafetensorsFile::open(path);
    FAIL("no InputError for " << path);
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find(path.string()) != std::string::npos);
    for (const auto& n : names) CHECK(msg.find(n) != std::string::npos);
  }
}

void expect_bad(const ut::TempDir& dir, const std::string& bytes,
                std::initializer_list<std::string> names) {
  const auto path = dir / "bad.safetensors";
  ut::write_file(path, bytes);
  expect_open_error(path, names);
}

}  // namespace

TEST_CASE("SafetensorsFile parses entries and reads their bytes", "[safetensors]") {
  ut::TempDir dir;
  const std::string data = random_bytes(50, 1);
  json header = {{"__metadata__", {{"format", "pt"}}},
                 {"a", entry("F32", {2, 3}, 0, 24)},
                 {"b.weight", entry("F16", {4}, 24, 32)},
                 {"scalar", entry("BF16", {}, 32, 34)},
                 {"ids", entry("I64", {2}, 34, 50)},
                 {"empty", entry("F32", {0, 5}, 50, 50)}};
  const std::string header_text = header.dump();
  ut::write_file(dir / "m.safetensors", safetensors_bytes(header_text, data));
  const uint64_t data_start = 8 + (header_text.size() + 7) / 8 * 8;

  const SafetensorsFile f = SafetensorsFile::open(dir / "m.safetensors");
  CHECK(f.path() == dir / "m.safetensors");
  const auto& e = f.entries();
  REQUIRE(e.size() == 5);  // __metadata__ is not a tensor
  CHECK(e.count("__metadata__") == 0);
  struct Want {
    const char* name;
    const char* dtype_name;
    std::optional<DType> dtype;
    std::vector<int64_t> shape;
    uint64_t begin, nbytes;
  };
  for (const Want& w : {Want{"a", "F32", DType::f32, {2, 3}, 0, 24},
                        Want{"b.weight", "F16", DType::f16, {4}, 24, 8},
                        Want{"scalar", "BF16", DType::bf16, {}, 32, 2},
                        Want{"ids", "I64", std::nullopt, {2}, 34, 16},
                        Want{"empty", "F32", DType::f32, {0, 5}, 50, 0}}) {
    CAPTURE(w.name);
    REQUIRE(e.count(w.name) == 1);
    const SafetensorsEntry& got = e.at(w.name);
    CHECK(got.dtype_name == w.dtype_name);
    CHECK(got.dtype == w.dtype);
    CHECK(got.shape == w.shape);
    CHECK(got.file_offset == data_start + w.begin);
    CHECK(got.nbytes == w.nbytes);
    std::string buf(w.nbytes, '\0');
    f.read(w.name, got, buf.data());
    CHECK(buf == data.substr(w.begin, w.nbytes));
  }
}

TEST_CASE("SafetensorsFile rejects malformed files naming the file and tensor", "[safetensors]") {
  ut::TempDir dir;
  const std::string data(24, 'x');
  auto one = [](const json& e) { return json{{"w", e}}.dump(); };

  SECTION("missing file, or shorter than the length field") {
    expect_open_error(dir / "absent.safetensors", {});
    expect_bad(dir, "abc", {});
  }
  SECTION("header length beyond the file") {
    std::string bytes = safetensors_bytes(one(entry("F32", {2, 3}, 0, 24)), data);
    bytes[0] = char(0xff), bytes[1] = char(0x7f);  // 32767 bytes of header in a ~80-byte file
    expect_bad(dir, bytes, {"header"});
    bytes[7] = char(0x80);  // 2^63 + ...: no overflow of 8 + length
    expect_bad(dir, bytes, {"header"});
  }
  SECTION("header that is not a JSON object") {
    expect_bad(dir, safetensors_bytes("{\"w\": {\"dtype\": ", data), {});
    expect_bad(dir, safetensors_bytes("[1, 2]", data), {});
  }
  SECTION("data_offsets inconsistent with shape and dtype") {
    expect_bad(dir, safetensors_bytes(one(entry("F32", {2, 3}, 0, 20)), data), {"w", "24"});
    expect_bad(dir, safetensors_bytes(one(entry("F16", {2, 3}, 0, 24)), data), {"w"});
    expect_bad(dir, safetensors_bytes(one(entry("F32", {2, 3}, 24, 0)), data), {"w"});
  }
  SECTION("data beyond the end of the file (truncated)") {
    expect_bad(dir, safetensors_bytes(one(entry("F32", {2, 3}, 0, 24)), data.substr(0, 16)),
               {"w", "truncated"});
    expect_bad(dir, safetensors_bytes(one(entry("F32", {1}, 24, 28)), data), {"w"});
  }
  SECTION("unknown dtype, bad shape, missing fields") {
    expect_bad(dir, safetensors_bytes(one(entry("F7", {2, 3}, 0, 24)), data), {"w", "F7"});
    json neg = entry("F32", {2, 3}, 0, 24);
    neg["shape"] = {-2, -3};
    expect_bad(dir, safetensors_bytes(one(neg), data), {"w"});
    json no_dtype = entry("F32", {2, 3}, 0, 24);
    no_dtype.erase("dtype");
    expect_bad(dir, safetensors_bytes(one(no_dtype), data), {"w", "dtype"});
    json no_offsets = entry("F32", {2, 3}, 0, 24);
    no_offsets["data_offsets"] = {0};
    expect_bad(dir, safetensors_bytes(one(no_offsets), data), {"w", "data_offsets"});
    expect_bad(dir, safetensors_bytes(json{{"w", 5}}.dump(), data), {"w"});
  }
  SECTION("two tensors whose data_offsets overlap alias each other's bytes") {
    const json two{{"a", entry("F32", {2, 2}, 0, 16)}, {"b", entry("F32", {2, 2}, 8, 24)}};
    expect_bad(dir, safetensors_bytes(two.dump(), data), {"b", "overlap", "a"});
    // Adjacent ranges and an empty tensor inside another's range are fine.
    const json ok{{"a", entry("F32", {2, 2}, 0, 16)},
                  {"b", entry("F32", {2}, 16, 24)},
                  {"e", entry("F32", {0}, 8, 8)}};
    const auto path = dir / "ok.safetensors";
    ut::write_file(path, safetensors_bytes(ok.dump(), data));
    CHECK(SafetensorsFile::open(path).entries().size() == 3);
  }
  SECTION("a shape whose byte count overflows 64 bits is not a zero-byte tensor") {
    // 2^62 * 4 elements * 4 bytes = 2^66 bytes, which wraps to 0 in uint64 arithmetic.
    expect_bad(dir, safetensors_bytes(one(entry("F32", {int64_t(1) << 62, 4}, 0, 0)), data),
               {"w"});
  }
}

TEST_CASE("SafetensorsFile read of a file truncated after open names file and tensor",
          "[safetensors]") {
  ut::TempDir dir;
  const auto path = dir / "t.safetensors";
  ut::write_file(path, safetensors_bytes(json{{"w", entry("F32", {2, 3}, 0, 24)}}.dump(),
                                         std::string(24, 'y')));
  const SafetensorsFile f = SafetensorsFile::open(path);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  std::string buf(24, '\0');
  try {
    f.read("w", f.entries().at("w"), buf.data());
    FAIL("no InputError for a short read");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find(path.string()) != std::string::npos);
    CHECK(msg.find("w") != std::string::npos);
  }
}

TEST_CASE("HfCheckpoint: single file, with and without the model. prefix", "[safetensors]") {
  for (const std::string prefix : {"model.", ""}) {
    CAPTURE(prefix);
    ut::TempDir dir;
    const std::string data = random_bytes(40, 2);
    const json header = {{prefix + "decoder.embed_tokens.weight", entry("F16", {4, 2}, 0, 16)},
                         {prefix + "decoder.layers.0.fc1.bias", entry("F32", {6}, 16, 40)}};
    ut::write_file(dir / "model.safetensors", safetensors_bytes(header.dump(), data));
    const HfCheckpoint ckpt = HfCheckpoint::open(dir.path());
    CHECK(ckpt.dir() == dir.path());
    const auto* emb = ckpt.find("decoder.embed_tokens.weight");
    REQUIRE(emb != nullptr);
    CHECK(emb->stored_name == prefix + "decoder.embed_tokens.weight");
    CHECK(emb->entry->shape == std::vector<int64_t>{4, 2});
    const auto& bias = ckpt.require("decoder.layers.0.fc1.bias");
    std::string buf(24, '\0');
    ckpt.read(bias, buf.data());
    CHECK(buf == data.substr(16, 24));
    if (!prefix.empty()) CHECK(ckpt.find(prefix + "decoder.embed_tokens.weight") == nullptr);
    CHECK(ckpt.find("decoder.layers.1.fc1.bias") == nullptr);
    try {
      ckpt.require("decoder.layers.1.fc1.bias");
      FAIL("no InputError for a missing tensor");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("decoder.layers.1.fc1.bias") != std::string::npos);
      CHECK(msg.find("model.safetensors") != std::string::npos);
    }
  }
}

namespace {

const char* kShard1 = "model-00001-of-00002.safetensors";
const char* kShard2 = "model-00002-of-00002.safetensors";

void write_index(const ut::TempDir& dir, const json& weight_map) {
  ut::write_file(dir / "model.safetensors.index.json",
                 json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump());
}

std::string open_error(const std::filesystem::path& dir) {
  try {
    HfCheckpoint::open(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

TEST_CASE("HfCheckpoint: sharded checkpoints and their errors", "[safetensors]") {
  ut::TempDir dir;
  const std::string d1 = random_bytes(8, 3), d2 = random_bytes(12, 4);
  ut::write_file(dir / kShard1,
                 safetensors_bytes(json{{"model.decoder.a", entry("F32", {2}, 0, 8)}}.dump(), d1));
  ut::write_file(dir / kShard2,
                 safetensors_bytes(json{{"lm_head.weight", entry("F16", {2, 3}, 0, 12)}}.dump(), d2));

  SECTION("tensors of both shards are found and read") {
    write_index(dir, {{"model.decoder.a", kShard1}, {"lm_head.weight", kShard2}});
    const HfCheckpoint ckpt = HfCheckpoint::open(dir.path());
    std::string a(8, '\0'), b(12, '\0');
    ckpt.read(ckpt.require("decoder.a"), a.data());
    ckpt.read(ckpt.require("lm_head.weight"), b.data());
    CHECK(a == d1);
    CHECK(b == d2);
    CHECK(ckpt.require("decoder.a").file->path() == dir / kShard1);
    try {
      ckpt.require("decoder.b");
      FAIL("no InputError for a missing tensor");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("decoder.b") != std::string::npos);
      CHECK(msg.find("model.safetensors.index.json") != std::string::npos);
    }
  }
  SECTION("a missing shard names the shard and a tensor in it") {
    write_index(dir, {{"model.decoder.a", kShard1}, {"decoder.c", "model-00003-of-00003.safetensors"}});
    const std::string msg = open_error(dir.path());
    CAPTURE(msg);
    CHECK(msg.find("model-00003-of-00003.safetensors") != std::string::npos);
    CHECK(msg.find("decoder.c") != std::string::npos);
  }
  SECTION("a tensor in two shards is an error naming it and both files") {
    ut::write_file(dir / kShard2,
                   safetensors_bytes(json{{"decoder.a", entry("F32", {2}, 0, 8)}}.dump(), d1));
    write_index(dir, {{"model.decoder.a", kShard1}, {"decoder.a", kShard2}});
    const std::string msg = open_error(dir.path());
    CAPTURE(msg);
    CHECK(msg.find("decoder.a") != std::string::npos);
    CHECK(msg.find(kShard1) != std::string::npos);
    CHECK(msg.find(kShard2) != std::string::npos);
  }
  SECTION("an index without a weight_map, and a folder with no checkpoint") {
    ut::write_file(dir / "model.safetensors.index.json", R"({"metadata": {}})");
    CHECK(open_error(dir.path()).find("weight_map") != std::string::npos);
    ut::TempDir empty;
    CHECK(open_error(empty.path()).find(empty.path().string()) != std::string::npos);
  }
}

}  // namespace strata
