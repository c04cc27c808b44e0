// A tiny random model for the executor tests, written as a converted weight store (what the
// executor reads) and kept in memory as an InMemoryModel over the very same bytes (the
// all-in-memory reference path). Any family's ModelSpec works (a test family too); tiny OPT by
// default. The vocabulary is the tokenizer fixture's: 4 specials + 256 byte symbols.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/half.h"
#include "engine/io/weight_source.h"
#include "engine/models/in_memory_model.h"
#include "engine/models/model_family.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "offload/weight_store_writer.h"
#include "quant/reference.h"
#include "test_support.h"
#include "tests/tokenizer/test_tokenizer_fixture.h"

namespace strata::ut {

struct TinyOptOptions {
  int64_t layers = 2, hidden = 64, heads = 4, ffn = 128, max_positions = 64;
  bool post_ln = false;
  bool tied = true;
  int64_t proj = 0;  // word_embed_proj_dim; 0 = hidden (no projection)
  DType dtype = DType::f32;
  // Decoder linear weights stored pre-quantized (as strata convert --quant writes them).
  std::optional<TensorFormat> quant;
  unsigned seed = 1;
};

// config.json of a tiny OPT.
inline nlohmann::json tiny_opt_config(const TinyOptOptions& o) {
  return {{"model_type", "opt"},
          {"vocab_size", 260},
          {"hidden_size", o.hidden},
          {"num_hidden_layers", o.layers},
          {"ffn_dim", o.ffn},
          {"num_attention_heads", o.heads},
          {"max_position_embeddings", o.max_positions},
          {"do_layer_norm_before", !o.post_ln},
          {"word_embed_proj_dim", o.proj > 0 ? o.proj : o.hidden},
          {"tie_word_embeddings", o.tied}};
}

inline ModelSpec tiny_opt_spec(const TinyOptOptions& o) {
  return model_spec(parse_model_config(tiny_opt_config(o), "tiny opt config"));
}

class TinyOptModel {
 public:
  TinyOptModel(const std::filesystem::path& root, const TinyOptOptions& o)
      : TinyOptModel(root, tiny_opt_spec(o), o) {}

  // Random weights for every tensor of `spec`'s table (o.dtype; o.quant for the quantizable).
  TinyOptModel(const std::filesystem::path& root, ModelSpec spec, const TinyOptOptions& o)
      : store_dir_(root / "store"), tokenizer_dir_(root / "tok"),
        spec_(std::make_shared<const ModelSpec>(std::move(spec))) {
    std::filesystem::create_directories(tokenizer_dir_);
    strata::test::write_tiny_model(tokenizer_dir_, {}, {});
    tokenizer_ = std::make_unique<BpeTokenizer>(BpeTokenizer::load(tokenizer_dir_));
    std::mt19937 rng(o.seed);
    WeightStoreWriter writer(store_dir_);
    std::vector<Tensor> views;
    const TensorTable& table = spec_->tensors;
    for (const TensorSpec& t : table.tensors) {
      const std::string& name = t.name;
      const std::vector<int64_t>& shape = t.shape;
      const std::string file = store_file_of(table, t.stage);
      const int64_t n = shape.size() == 2 ? shape[0] * shape[1] : shape[0];
      const bool norm = name.find("norm") != std::string::npos;
      const bool embed = name.find("embed") != std::string::npos;
      std::vector<float> v = random_floats(rng, size_t(n), norm ? 0.1f : (embed ? 0.5f : 0.15f),
                                           norm && name.ends_with(".weight") ? 1.0f : 0.0f);
      if (o.quant && t.quantizable) {
        const TensorFormat q = *o.quant;
        const quant::QuantFormat qf{q.dtype == DType::q4 ? quant::QuantBits::k4
                                                         : quant::QuantBits::k8,
                                    q.group_size, quant::GroupAxis::kCols};
        bytes_.emplace_back(size_t(quant::packed_bytes(qf, shape[0], shape[1])));
        char* dst = bytes_.back().data();
        quant::quantize_ref(qf, v.data(), shape[0], shape[1], reinterpret_cast<uint8_t*>(dst));
        writer.add_tensor(file, {name, format_name(q), shape, bytes_.back().size()}, dst);
        views.push_back(Tensor::packed(dst, q, shape[0], shape[1]));
        continue;
      }
      bytes_.emplace_back(size_t(n) * dtype_size(o.dtype));
      char* dst = bytes_.back().data();
      for (int64_t i = 0; i < n; ++i) store_element(dst, o.dtype, i, v[size_t(i)]);
      writer.add_tensor(file, {name, std::string(dtype_name(o.dtype)), shape, bytes_.back().size()},
                        dst);
      views.push_back(shape.size() == 2 ? Tensor(dst, o.dtype, {shape[0], shape[1]})
                                        : Tensor(dst, o.dtype, {shape[0]}));
    }
    writer.finish();
    model_ = std::make_unique<InMemoryModel>(*spec_, std::move(views));
  }

  const std::filesystem::path& store_dir() const { return store_dir_; }
  const ModelConfig& config() const { return spec_->config; }
  const std::shared_ptr<const ModelSpec>& spec() const { return spec_; }
  const InMemoryModel& model() const { return *model_; }
  const BpeTokenizer& tokenizer() const { return *tokenizer_; }
  // The store, opened for the executor.
  std::unique_ptr<WeightSource> source() const {
    return store_source(WeightStore::open(store_dir_));
  }

 private:
  static void store_element(char* dst, DType t, int64_t i, float x) {
    switch (t) {
      case DType::f32: reinterpret_cast<float*>(dst)[i] = x; return;
      case DType::f16: reinterpret_cast<uint16_t*>(dst)[i] = f32_to_f16(x); return;
      case DType::bf16: reinterpret_cast<uint16_t*>(dst)[i] = f32_to_bf16(x); return;
      case DType::i32:
      case DType::q4:
      case DType::q8: return;
    }
  }

  std::filesystem::path store_dir_, tokenizer_dir_;
  std::shared_ptr<const ModelSpec> spec_;
  std::vector<std::vector<char>> bytes_;
  std::unique_ptr<BpeTokenizer> tokenizer_;
  std::unique_ptr<InMemoryModel> model_;
};

}  // namespace strata::ut
