// Exact byte counts: parameter counts of the OPT presets against the HF checkpoints, and the
// quantized matrix sizes of DESIGN.md's group-wise formats, checked by hand.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "planner/matrix_bytes.h"
#include "planner/model_geometry.h"

namespace strata {
namespace {

TEST_CASE("OPT presets have the HF parameter counts", "[planner]") {
  // facebook/opt-*: sum of numel over the checkpoint's tensors (tied LM head counted once).
  CHECK(parameter_count(opt_geometry("opt-125m")) == 125239296ull);
  CHECK(parameter_count(opt_geometry("facebook/opt-350m")) == 331196416ull);
  CHECK(parameter_count(opt_geometry("opt-1.3b")) == 1315758080ull);
  CHECK(parameter_count(opt_geometry("opt-6.7b")) == 6658473984ull);
  CHECK(parameter_count(opt_geometry("opt-2.7b")) == 2651596800ull);
  CHECK(opt_preset_names().size() == 9);
  for (const std::string& name : opt_preset_names()) {
    const ModelGeometry m = opt_geometry(name);
    CHECK_NOTHROW(validate(m));
    // fp16 bytes of layers + outside == 2 bytes per parameter.
    const ModelBytes b = model_bytes(m, Compression::kNone, Compression::kNone);
    CHECK(m.num_layers * b.layer_weights + b.outside_weights == 2 * parameter_count(m));
  }
}

TEST_CASE("unknown preset names the known ones", "[planner]") {
  REQUIRE_THROWS_AS(opt_geometry("opt-7b"), InputError);
  REQUIRE_THROWS_WITH(opt_geometry("opt-7b"), Catch::Contains("opt-7b") &&
                                                  Catch::Contains("opt-175b"));
}

TEST_CASE("group-wise quantized matrix bytes", "[planner]") {
  // 4-bit: 32 bytes of nibbles + 2 + 2 per group of 64; a ragged group ceil(r/2) + 4.
  CHECK(default_matrix_bytes(1, 64, StorageFormat::kQ4Group64) == 36);
  CHECK(default_matrix_bytes(1, 65, StorageFormat::kQ4Group64) == 36 + 1 + 4);
  CHECK(default_matrix_bytes(1, 63, StorageFormat::kQ4Group64) == 32 + 4);
  CHECK(default_matrix_bytes(3, 130, StorageFormat::kQ4Group64) == 3 * (72 + 1 + 4));
  // 8-bit: 64 + 4 per group, a ragged group r + 4.
  CHECK(default_matrix_bytes(2, 128, StorageFormat::kQ8Group64) == 2 * 136);
  CHECK(default_matrix_bytes(1, 70, StorageFormat::kQ8Group64) == 68 + 6 + 4);
  CHECK(default_matrix_bytes(3, 10, StorageFormat::kF16) == 60);
  CHECK(default_matrix_bytes(3, 10, StorageFormat::kF32) == 120);
}

TEST_CASE("opt-125m layer and KV bytes by hand", "[planner]") {
  const ModelGeometry m = opt_geometry("opt-125m");  // h 768, ffn 3072, 12 heads of 64
  const ModelBytes dense = model_bytes(m, Compression::kNone, Compression::kNone);
  CHECK(dense.layer_weights == 2 * 7087872ull);  // 4(h^2+h) + 2 h ffn + ffn + h + 4h params
  CHECK(dense.kv_per_token == 2 * 768 * 2);
  const ModelBytes q4 = model_bytes(m, Compression::kQ4, Compression::kQ4);
  // q,k,v,o: 768 rows x 12 groups; fc1: 3072 x 12; fc2: 768 x 48; 36 bytes a group; biases and
  // norms (9h + ffn = 9984 values) stay fp16.
  CHECK(q4.layer_weights == 4 * 768 * 12 * 36 + 3072 * 12 * 36 + 768 * 48 * 36 + 9984 * 2);
  CHECK(q4.kv_per_token == 2 * 12 * 36);  // K and V: 12 heads x one 64-value group each
  CHECK(q4.outside_weights == dense.outside_weights);  // embeddings stay dense
  CHECK(dense.layer_flops_per_token == 2.0 * (4.0 * 768 * 768 + 2.0 * 768 * 3072));
}

TEST_CASE("matrix byte count is injectable", "[planner]") {
  const ModelGeometry m = opt_geometry("opt-125m");
  int calls = 0;
  const MatrixBytesFn one_byte = [&](uint64_t rows, uint64_t cols, StorageFormat) {
    ++calls;
    return rows * cols;
  };
  const ModelBytes b = model_bytes(m, Compression::kQ4, Compression::kNone, one_byte);
  CHECK(calls > 0);
  CHECK(b.kv_per_token == 2 * 768);
  CHECK(b.layer_weights == 4 * 768 * 768 + 2 * 768 * 3072 + 9984 * 2);
}

}  // namespace
}  // namespace strata
