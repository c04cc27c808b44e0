#include "runtime/dummy_store.h"

#include <nlohmann/json.hpp>
#include <fstream>
#include <ostream>

#include "common/error.h"
#include "engine/core/half.h"
#include "engine/models/model_family.h"
#include "engine/tokenizer/byte_unicode.h"
#include "offload/store_manifest.h"
#include "offload/weight_store_writer.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

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
  const nlohmann::json cfg = preset_config(name);
  STRATA_CHECK_INPUT(!offload_dir.empty(), "--dummy ", name,
                     ": give --offload-dir (the dummy weights are written there)");
  const fs::path store = offload_dir / ("strata-dummy-" + name);
  if (fs::is_regular_file(store / std::string(StoreManifest::kFileName))) return store;
  const ModelSpec spec = model_spec(parse_model_config(cfg, "preset " + name));
  if (progress != nullptr) {
    *progress << "strata: writing dummy " << name << " weights (random f16) into "
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
  const TensorTable& table = spec.tensors;
  uint64_t seed = 1;
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    const TensorSpec& t = table.tensors[i];
    const std::string file = store_file_of(table, t.stage);
    const int64_t n = t.shape.size() == 2 ? t.shape[0] * t.shape[1] : t.shape[0];
    // Norm gains near 1, everything else near 0.
    const bool norm = t.name.find("norm") != std::string::npos;
    const bool gain = norm && t.shape.size() == 1 && t.name.find("norm.weight") != std::string::npos;
    const float spread = norm ? 0.05f : 0.02f;
    const StoreTensorSpec tensor{t.name, "f16", t.shape, uint64_t(n) * 2};
    writer.add_tensor(file, tensor, [&](void* dst) {
      fill_random(static_cast<uint16_t*>(dst), n, seed++, gain ? 1.0f : 0.0f, spread);
    });
    const bool last_of_file = i + 1 == table.tensors.size() ||
                              store_file_of(table, table.tensors[i + 1].stage) != file;
    if (progress != nullptr && last_of_file) *progress << "convert: " << file << std::endl;
  }
  writer.add_side_file("config.json", cfg.dump());
  writer.add_side_file("vocab.json", byte_vocab_json());
  writer.add_side_file("merges.txt", "#version: 0.2\n");
  writer.finish();
  return store;
}

}  // namespace strata
