// KvFormat: the compressed cache's group size rule and slot sizes, the all-in-memory KvCache
// in that format, and the planner's count of KV bytes per token (planner/model_geometry.cpp)
// against the bytes the engine really stores and moves for every OPT size.
#include <catch2/catch.hpp>

#include <random>

#include "engine/models/kv_cache.h"
#include "engine/models/kv_format.h"
#include "planner/model_geometry.h"
#include "quant/reference.h"
#include "test_support.h"

namespace strata {

TEST_CASE("kv format: groups of at most 64 along head_dim, never across heads", "[kv]") {
  CHECK(kv_group_size(64) == 64);
  CHECK(kv_group_size(128) == 64);   // two groups per head
  CHECK(kv_group_size(80) == 40);    // two equal groups, no padding block
  CHECK(kv_group_size(48) == 48);    // the example model: one group per head
  CHECK(kv_group_size(96) == 48);
  CHECK(kv_group_size(16) == 16);
  CHECK(kv_group_size(12) == 16);    // quant needs a multiple of 8: one padded group
  CHECK(kv_group_size(256) == 64);

  const KvFormat f32 = kv_format(DType::f32, 12, 64);
  CHECK(!f32.packed());
  CHECK(f32.slot_bytes() == 768 * 4);
  const KvFormat q4 = kv_format(DType::q4, 12, 64);
  CHECK(q4.packed());
  CHECK(q4.slot_bytes() == 12 * 36);  // FlexGen's 36 bytes per 64 values
  CHECK(kv_format(DType::q8, 12, 64).slot_bytes() == 12 * 68);
  CHECK(kv_format(DType::q4, 4, 48).slot_bytes() == 4 * (4 + 24));
  CHECK(kv_format_name(q4) == "q4g64");
  CHECK(kv_format(DType::f16, 12, 64).slot_bytes() == 768 * 2);  // the default: half the bytes
  CHECK(kv_format(DType::bf16, 12, 64).slot_bytes() == 768 * 2);
  CHECK(!kv_format(DType::f16, 12, 64).packed());
  CHECK(kv_format_name(kv_format(DType::bf16, 12, 64)) == "bf16");
  CHECK_THROWS_AS(kv_format(DType::i32, 12, 64), InputError);

  // A view of the cache: packed [batch, slots, heads, head_dim], rows of whole sequences.
  std::vector<uint8_t> bytes(2 * 5 * q4.slot_bytes());
  const Tensor t = kv_view(q4, bytes.data(), 2, 5);
  CHECK(t.rank() == 4);
  CHECK(t.nbytes() == bytes.size());
  CHECK(t.rows(1, 2).data<uint8_t>() == bytes.data() + 5 * q4.slot_bytes());
}

TEST_CASE("kv format: rows are quantized per head, as quant's reference of (heads, head_dim)",
          "[kv]") {
  std::mt19937 rng(4);
  const KvFormat f = kv_format(DType::q4, 3, 80);  // groups of 40
  const std::vector<float> x = ut::random_floats(rng, size_t(2 * f.hidden()));
  std::vector<uint8_t> got(2 * f.slot_bytes()), want(got.size());
  store_kv_rows(f, x.data(), 2, got.data());
  quant::quantize_ref({quant::QuantBits::k4, 40, quant::GroupAxis::kCols}, x.data(), 6, 80,
                      want.data());
  CHECK(got == want);
  std::vector<float> dense(size_t(f.hidden()));
  store_kv_rows(kv_format(DType::f32, 3, 80), x.data(), 1, dense.data());
  CHECK(std::equal(dense.begin(), dense.end(), x.begin()));
}

TEST_CASE("kv cache: a compressed cache keeps packed rows through keep_sequences", "[kv]") {
  std::mt19937 rng(8);
  const KvFormat f = kv_format(DType::q8, 2, 16);
  KvCache cache(2, 3, 4, f);
  CHECK(cache.keys(1).dtype() == DType::q8);
  CHECK(cache.keys(1).nbytes() == 3 * 4 * f.slot_bytes());
  std::vector<std::vector<uint8_t>> rows;
  for (int64_t b = 0; b < 3; ++b) {
    const std::vector<float> x = ut::random_floats(rng, size_t(4 * f.hidden()));
    store_kv_rows(f, x.data(), 4, cache.slot(1, 1, b, 0));
    rows.emplace_back(cache.slot(1, 1, b, 0), cache.slot(1, 1, b, 0) + 4 * f.slot_bytes());
  }
  const std::vector<int64_t> keep = {0, 2};
  cache.keep_sequences(keep);
  CHECK(cache.batch() == 2);
  const uint8_t* second = reinterpret_cast<const uint8_t*>(cache.slot(1, 1, 1, 0));
  CHECK(std::equal(rows[2].begin(), rows[2].end(), second));
}

TEST_CASE("kv format: the planner counts the KV bytes the engine stores, every OPT size",
          "[kv][planner]") {
  for (const std::string& name : opt_preset_names()) {
    const ModelGeometry m = opt_geometry(name);
    for (auto [compression, dtype] : {std::pair{Compression::kQ4, DType::q4},
                                      std::pair{Compression::kQ8, DType::q8}}) {
      CAPTURE(name, to_string(compression));
      const KvFormat f = kv_format(dtype, m.num_heads, m.head_dim());
      // K and V of one token in one layer.
      CHECK(model_bytes(m, Compression::kNone, compression).kv_per_token == 2 * f.slot_bytes());
    }
    for (auto [storage, dtype] : {std::pair{StorageFormat::kF32, DType::f32},
                                  std::pair{StorageFormat::kF16, DType::f16},
                                  std::pair{StorageFormat::kBF16, DType::bf16}}) {
      ModelGeometry dense = m;
      dense.cache_format = storage;  // an uncompressed cache of the policy's cache_dtype
      CHECK(model_bytes(dense, Compression::kNone, Compression::kNone).kv_per_token ==
            2 * kv_format(dtype, m.num_heads, m.head_dim()).slot_bytes());
    }
  }
}

}  // namespace strata
