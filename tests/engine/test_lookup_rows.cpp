// The embedding stage moves only the rows of its lookup tables that a step reads
// (engine/executor/row_ranges.h): the rows each family says embed() reads must be all it reads,
// and the ranges built from them must cover those rows and no others but the gaps asked for.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/error.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/executor/row_ranges.h"
#include "engine/models/model_family.h"
#include "sandwich_family.h"

namespace strata {
namespace {

using nlohmann::json;

json opt_config(int64_t proj) {
  return {{"model_type", "opt"},          {"vocab_size", 300},
          {"hidden_size", 32},            {"num_hidden_layers", 1},
          {"ffn_dim", 64},                {"num_attention_heads", 4},
          {"max_position_embeddings", 40}, {"word_embed_proj_dim", proj},
          {"do_layer_norm_before", true}};
}

json llama_config(const char* type) {
  return {{"model_type", type},           {"vocab_size", 300},
          {"hidden_size", 32},            {"intermediate_size", 64},
          {"num_hidden_layers", 1},       {"num_attention_heads", 4},
          {"num_key_value_heads", 2},     {"rms_norm_eps", 1e-5},
          {"eos_token_id", 2}};
}

// embed() of a step over the stage's tables as given.
std::vector<float> embed(const ModelSpec& spec, const std::vector<std::vector<float>>& tables,
                         const std::vector<const TensorSpec*>& specs, const StepInput& in) {
  StageWeights w;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::vector<int64_t>& s = specs[i]->shape;
    float* data = const_cast<float*>(tables[i].data());
    w.set(specs[i]->role, s.size() == 2 ? Tensor(data, DType::f32, {s[0], s[1]}, Place::device)
                                        : Tensor(data, DType::f32, {s[0]}, Place::device));
  }
  const int64_t rows = in.batch * in.new_tokens;
  const std::vector<int64_t> cols = spec.forward->workspace_cols();
  std::vector<float> scratch(Workspace::block_floats(rows, cols));
  Workspace ws(scratch.data(), scratch.size() * sizeof(float), rows, cols);
  std::vector<float> h(size_t(rows * spec.config.hidden_size));
  CpuBackend be;
  spec.forward->embed(be, w, in, Tensor(h.data(), DType::f32, {rows, spec.config.hidden_size},
                                        Place::device),
                      ws);
  return h;
}

// A prefill of 3 sequences of 5 tokens, the first two left-padded.
void check_lookup_rows(const ModelSpec& spec) {
  std::mt19937 rng(7);
  std::vector<const TensorSpec*> specs;
  for (const TensorSpec& t : spec.tensors.tensors) {
    if (t.stage == 0) specs.push_back(&t);
  }
  std::vector<std::vector<float>> tables;
  std::normal_distribution<float> normal;
  for (const TensorSpec* t : specs) {
    std::vector<float> v(size_t(t->shape[0] * (t->shape.size() == 2 ? t->shape[1] : 1)));
    for (float& x : v) x = normal(rng);
    tables.push_back(std::move(v));
  }
  const int64_t b = 3, t = 5;
  std::vector<int32_t> ids(b * t), positions(b * t);
  std::uniform_int_distribution<int32_t> token(0, int32_t(spec.config.vocab_size - 1));
  for (int64_t a = 0; a < b; ++a) {
    for (int64_t p = 0; p < t; ++p) {
      ids[size_t(a * t + p)] = token(rng);
      const int64_t position = p - (2 - a);  // sequence a has 2 - a tokens of padding
      positions[size_t(a * t + p)] = position < 0 ? -1 : int32_t(position);
    }
  }
  StepInput in;
  in.batch = b;
  in.new_tokens = t;
  in.token_ids = ids.data();
  in.positions = positions.data();
  const std::vector<float> want = embed(spec, tables, specs, in);

  // Every row a lookup table's role is not asked for becomes NaN: embed() must not read it.
  const std::vector<TableRows> rows = spec.forward->lookup_rows(in);
  std::set<int> asked;
  for (const TableRows& r : rows) asked.insert(r.role);
  int lookups = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    CHECK(specs[i]->lookup == (asked.count(specs[i]->role) == 1));
    if (!specs[i]->lookup) continue;
    ++lookups;
    std::set<int64_t> keep;
    for (const TableRows& r : rows) {
      if (r.role == specs[i]->role) keep.insert(r.rows.begin(), r.rows.end());
    }
    CHECK(keep.size() < size_t(specs[i]->shape[0]));  // the test leaves rows out
    const int64_t cols = specs[i]->shape[1];
    for (int64_t row = 0; row < specs[i]->shape[0]; ++row) {
      if (keep.count(row) == 1) continue;
      std::fill_n(tables[i].begin() + row * cols, cols, std::numeric_limits<float>::quiet_NaN());
    }
  }
  CHECK(lookups >= 1);
  const std::vector<float> got = embed(spec, tables, specs, in);
  REQUIRE(got.size() == want.size());
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
}

}  // namespace

TEST_CASE("each family's lookup rows are every row its embedding reads", "[executor][family]") {
  for (const json& config : {opt_config(32), opt_config(16), llama_config("llama"),
                             llama_config("qwen2")}) {
    INFO(config.dump());
    check_lookup_rows(model_spec(parse_model_config(config, "config.json")));
  }
  check_lookup_rows(ut::sandwich_spec(1, 32, 4, 64));
}

TEST_CASE("row ranges: sorted, without repeats, merged across gaps up to the limit",
          "[executor]") {
  const auto ranges = [](std::vector<int64_t> rows, uint64_t row_bytes, uint64_t gap) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const RowRange& r : row_ranges(std::move(rows), row_bytes, gap)) {
      out.emplace_back(r.begin, r.end);
    }
    return out;
  };
  using P = std::vector<std::pair<int64_t, int64_t>>;
  CHECK(ranges({9, 3, 4, 3, 20, 10}, 100, 0) == P{{3, 5}, {9, 11}, {20, 21}});
  // A gap of 4 rows (400 bytes) merges at 400 bytes, not at 399.
  CHECK(ranges({3, 8}, 100, 399) == P{{3, 4}, {8, 9}});
  CHECK(ranges({3, 8}, 100, 400) == P{{3, 9}});
  CHECK(ranges({}, 100, 400).empty());
  CHECK(ranges({5, 5, 5}, 100, 0) == P{{5, 6}});
}

TEST_CASE("stage ranges: lookup tables by their rows, other tensors whole, bad rows refused",
          "[executor]") {
  const ModelSpec spec = model_spec(parse_model_config(opt_config(16), "config.json"));
  const WeightLayout layout = layout_weights(
      spec.tensors, [](const std::string&) { return TensorFormat(DType::f32); }, {0, 0, 1});
  const StageLayout& stage = layout.stages[0];
  const std::vector<TableRows> wanted = spec.forward->lookup_rows([] {
    static const int32_t ids[2] = {7, 250}, positions[2] = {0, 1};
    StepInput in;
    in.batch = 2;
    in.new_tokens = 1;
    in.token_ids = ids;
    in.positions = positions;
    return in;
  }());
  const StageRanges r = stage_ranges(layout, 0, wanted, 0);
  REQUIRE(r.size() == stage.tensors.size());
  int lookups = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const WeightTensorLayout& t = layout.tensors[stage.tensors[i]];
    if (spec.tensors.tensors[t.table_index].lookup) {
      ++lookups;
      const bool tokens = t.rows() == 300;
      CHECK(r[i].size() == (tokens ? 2u : 1u));  // ids 7 and 250; positions 2 and 3 merge
      CHECK(r[i].front().begin == (tokens ? 7 : 2));
    } else {
      REQUIRE(r[i].size() == 1);  // project_in, whole
      CHECK((r[i][0].begin == 0 && r[i][0].end == t.rows()));
    }
  }
  CHECK(lookups == 2);
  std::vector<TableRows> bad = wanted;
  bad[0].rows.push_back(300);
  CHECK_THROWS_AS(stage_ranges(layout, 0, bad, 0), Error);
}

}  // namespace strata
