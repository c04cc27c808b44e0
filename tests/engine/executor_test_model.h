// A tiny random OPT model for the executor tests, written as a converted weight store (what the
// executor reads) and kept in memory as an OptModel over the very same bytes (the all-in-memory
// reference path). The vocabulary is the tokenizer fixture's: 4 specials + 256 byte symbols.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/half.h"
#include "engine/io/store_writer.h"
#include "engine/models/opt/opt_model.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "offload/weight_store_writer.h"
#include "quant/reference.h"
#include "test_support.h"
#include "test_tokenizer_fixture.h"

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

class TinyOptModel {
 public:
  TinyOptModel(const std::filesystem::path& root, const TinyOptOptions& o)
      : store_dir_(root / "store"), tokenizer_dir_(root / "tok") {
    std::filesystem::create_directories(tokenizer_dir_);
    strata::test::write_tiny_model(tokenizer_dir_, {}, {});
    tokenizer_ = std::make_unique<BpeTokenizer>(BpeTokenizer::load(tokenizer_dir_));
    nlohmann::json cfg = {{"model_type", "opt"},
                          {"vocab_size", 260},
                          {"hidden_size", o.hidden},
                          {"num_hidden_layers", o.layers},
                          {"ffn_dim", o.ffn},
                          {"num_attention_heads", o.heads},
                          {"max_position_embeddings", o.max_positions},
                          {"do_layer_norm_before", !o.post_ln},
                          {"word_embed_proj_dim", o.proj > 0 ? o.proj : o.hidden},
                          {"tie_word_embeddings", o.tied}};
    const std::filesystem::path cfg_dir = root / "cfg";
    std::filesystem::create_directories(cfg_dir);
    write_file(cfg_dir / "config.json", cfg.dump());
    config_ = OptConfig::load(cfg_dir);

    std::mt19937 rng(o.seed);
    WeightStoreWriter writer(store_dir_);
    std::map<std::string, Tensor> views;
    for (const StoreFileLayout& f : opt_store_layout(config_)) {
      for (const auto& [name, shape] : f.tensors) {
        const int64_t n = shape.size() == 2 ? shape[0] * shape[1] : shape[0];
        const bool norm = name.find("layer_norm") != std::string::npos;
        const bool embed = name.find("embed") != std::string::npos;
        std::vector<float> v = random_floats(rng, size_t(n), norm ? 0.1f : (embed ? 0.5f : 0.15f),
                                             norm && name.ends_with(".weight") ? 1.0f : 0.0f);
        if (o.quant && quantized_in_store(name)) {
          const TensorFormat q = *o.quant;
          const quant::QuantFormat qf{q.dtype == DType::q4 ? quant::QuantBits::k4
                                                           : quant::QuantBits::k8,
                                      q.group_size, quant::GroupAxis::kCols};
          bytes_.emplace_back(size_t(quant::packed_bytes(qf, shape[0], shape[1])));
          char* dst = bytes_.back().data();
          quant::quantize_ref(qf, v.data(), shape[0], shape[1], reinterpret_cast<uint8_t*>(dst));
          writer.add_tensor(f.file, {name, format_name(q), shape, bytes_.back().size()}, dst);
          views[name] = Tensor::packed(dst, q, shape[0], shape[1]);
          continue;
        }
        bytes_.emplace_back(size_t(n) * dtype_size(o.dtype));
        char* dst = bytes_.back().data();
        for (int64_t i = 0; i < n; ++i) store_element(dst, o.dtype, i, v[size_t(i)]);
        writer.add_tensor(f.file, {name, std::string(dtype_name(o.dtype)), shape, bytes_.back().size()},
                          dst);
        views[name] = shape.size() == 2 ? Tensor(dst, o.dtype, {shape[0], shape[1]})
                                        : Tensor(dst, o.dtype, {shape[0]});
      }
    }
    writer.add_side_file("config.json", cfg.dump());
    writer.finish();
    model_ = std::make_unique<OptModel>(config_, bind(views));
  }

  const std::filesystem::path& store_dir() const { return store_dir_; }
  const OptConfig& config() const { return config_; }
  const OptModel& model() const { return *model_; }
  const BpeTokenizer& tokenizer() const { return *tokenizer_; }

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

  OptWeights bind(std::map<std::string, Tensor>& v) const {
    const auto get = [&](const std::string& name) {
      const auto it = v.find(name);
      return it == v.end() ? Tensor() : it->second;
    };
    OptWeights w;
    w.embed_tokens = get("decoder.embed_tokens.weight");
    w.embed_positions = get("decoder.embed_positions.weight");
    w.project_in = get("decoder.project_in.weight");
    w.project_out = get("decoder.project_out.weight");
    w.final_norm = {get("decoder.final_layer_norm.weight"), get("decoder.final_layer_norm.bias")};
    w.lm_head = config_.tied_head ? w.embed_tokens : get("lm_head.weight");
    for (int64_t j = 0; j < config_.num_layers; ++j) {
      const std::string p = "decoder.layers." + std::to_string(j) + ".";
      const auto lin = [&](const std::string& n) {
        return LinearWeights{get(p + n + ".weight"), get(p + n + ".bias")};
      };
      OptLayerWeights l;
      l.q = lin("self_attn.q_proj");
      l.k = lin("self_attn.k_proj");
      l.v = lin("self_attn.v_proj");
      l.out = lin("self_attn.out_proj");
      l.attn_norm = {get(p + "self_attn_layer_norm.weight"), get(p + "self_attn_layer_norm.bias")};
      l.fc1 = lin("fc1");
      l.fc2 = lin("fc2");
      l.ffn_norm = {get(p + "final_layer_norm.weight"), get(p + "final_layer_norm.bias")};
      w.layers.push_back(l);
    }
    return w;
  }

  std::filesystem::path store_dir_, tokenizer_dir_;
  OptConfig config_;
  std::vector<std::vector<char>> bytes_;
  std::unique_ptr<BpeTokenizer> tokenizer_;
  std::unique_ptr<OptModel> model_;
};

}  // namespace strata::ut
