// The llama family: Llama 2, Llama 3 and 3.1-3.3 (rope types default, linear, dynamic, llama3).
#include "engine/models/llama/llama_family.h"

#include <array>
#include <nlohmann/json.hpp>

namespace strata {
namespace llama {
namespace {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path) {
  return parse_common(ConfigReader(j, path), j, "llama");
}

// meta-llama/Llama-3.1-{8B,70B}-Instruct/config.json; the preset adds their llama3 rope scaling.
constexpr std::array<Geometry, 2> kPresets = {{
    {"llama-3.1-8b", "llama", 32, 4096, 32, 8, 128, 14336, 128256, 131072, 500000.0, 1e-5,
     false, 128000, 128009},
    {"llama-3.1-70b", "llama", 80, 8192, 64, 8, 128, 28672, 128256, 131072, 500000.0, 1e-5,
     false, 128000, 128009},
}};

nlohmann::json preset(const std::string& name) {
  for (const Geometry& g : kPresets) {
    if (name != g.name) continue;
    nlohmann::json j = geometry_config(g);
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", 8.0},
                         {"low_freq_factor", 1.0},
                         {"high_freq_factor", 4.0},
                         {"original_max_position_embeddings", 8192}};
    j["eos_token_id"] = {128001, 128008, 128009};
    return j;
  }
  return nullptr;
}

std::vector<std::string> preset_names() { return preset_names_of(kPresets); }

}  // namespace
}  // namespace llama

const ModelFamily& llama_family() {
  static const ModelFamily family{"llama", llama::parse_config, llama::tensor_table,
                                  llama::make_forward, llama::preset, llama::preset_names};
  return family;
}

}  // namespace strata
