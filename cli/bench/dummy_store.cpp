#include "cli/bench/dummy_store.h"

#include <nlohmann/json.hpp>
#include <fstream>
#include <ostream>

#include "common/error.h"
#include "engine/core/half.h"
#include "engine/io/store_writer.h"
#include "engine/tokenizer/byte_unicode.h"
#include "offload/store_manifest.h"
#include "planner/model_geometry.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

// config.json of a preset, as Hugging Face writes it for facebook/opt-*.
nlohmann::ordered_json dummy_config(const ModelGeometry& g) {
  return {{"model_type", "opt"},
          {"vocab_size", g.vocab},
          {"hidden_size", g.hidden},
          {"num_hidden_layers", g.num_layers},
          {"ffn_dim", g.ffn},
          {"num_attention_heads", g.num_heads},
          {"max_position_embeddings", g.max_positions},
          {"word_embed_proj_dim", g.embed_dim()},
          {"do_layer_norm_before", g.final_layer_norm},
          {"activation_function", "relu"},
          {"tie_word_embeddings", true},
          {"bos_token_id", 2},
          {"eos_token_id", 2},
          {"pad_token_id", 1}};
}

std::string byte_vocab_json() {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  int32_t id = 0;
  for (const char* special : {"<s>", "<pad>", "</s>", "<unk>"}) vocab[special] = id++;
  for (int b = 0; b < 256; ++b) vocab[byte_symbol(uint8_t(b))] = id++;
  return vocab.dump();
}

// SplitMix64-driven small values: layer norm gains near 1, everything else near 0 with a
// spread that keeps activations finite through many layers.
void fill_random(uint16_t* dst, int64_t n, uint64_t seed, float center, float spread) {
  uint64_t state = seed;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const float u = float(z >> 40) * (1.0f / float(1 << 24)) * 2.0f - 1.0f;  // [-1, 1)
    dst[i] = f32_to_f16(center + spread * u);
  }
}

}  // namespace

fs::path dummy_store(const std::string& name, const fs::path& offload_dir, std::ostream* progress) {
  const ModelGeometry g = opt_geometry(name);
  STRATA_CHECK_INPUT(!offload_dir.empty(), "--dummy ", name,
                     ": give --offload-dir (the dummy weights are written there)");
  const fs::path store = offload_dir / ("strata-dummy-" + g.name);
  if (fs::is_regular_file(store / std::string(StoreManifest::kFileName))) return store;
  const nlohmann::ordered_json cfg = dummy_config(g);
  const fs::path cfg_dir = offload_dir / ("strata-dummy-" + g.name + ".config");
  fs::create_directories(cfg_dir);
  {
    std::ofstream out(cfg_dir / "config.json");
    out << cfg.dump();
  }
  const OptConfig config = OptConfig::load(cfg_dir);
  fs::remove_all(cfg_dir);
  if (progress != nullptr) {
    *progress << "strata: writing dummy " << g.name << " weights (random f16) into "
              << store.string() << std::endl;
  }
  WeightStoreWriterOptions options;
  options.existing = WeightStoreWriterOptions::Existing::replace;
  WeightStoreWriter writer(store, options);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [key, value] : cfg.items()) {
    fields.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  }
  writer.set_model_config(fields);
  uint64_t seed = 1;
  for (const StoreFileLayout& f : opt_store_layout(config)) {
    for (const auto& [tensor, shape] : f.tensors) {
      const int64_t n = shape.size() == 2 ? shape[0] * shape[1] : shape[0];
      const bool norm_gain = tensor.find("layer_norm.weight") != std::string::npos;
      const float spread = tensor.find("layer_norm") != std::string::npos ? 0.05f : 0.02f;
      const StoreTensorSpec spec{tensor, "f16", shape, uint64_t(n) * 2};
      writer.add_tensor(f.file, spec, [&](void* dst) {
        fill_random(static_cast<uint16_t*>(dst), n, seed++, norm_gain ? 1.0f : 0.0f, spread);
      });
    }
    if (progress != nullptr) *progress << "convert: " << f.file << std::endl;
  }
  writer.add_side_file("config.json", cfg.dump());
  writer.add_side_file("vocab.json", byte_vocab_json());
  writer.add_side_file("merges.txt", "#version: 0.2\n");
  writer.finish();
  return store;
}

}  // namespace strata::cli
