// The mistral family (transformers' MistralForCausalLM): Llama's layers with no biases and a
// sliding attention window when `sliding_window` is set (Mistral 7B v0.1: 4096; later: null).
#include <array>
#include <nlohmann/json.hpp>

#include "engine/models/llama/llama_family.h"
#include "engine/models/model_families.h"

namespace strata {
namespace mistral {
namespace {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path) {
  const ConfigReader r(j, path);
  ModelConfig c = llama::parse_common(r, j, "mistral");
  c.attention_bias = c.out_proj_bias = c.mlp_bias = false;
  c.sliding_window = r.positive_or("sliding_window", 0);
  return c;
}

// mistralai/Mistral-7B-Instruct-v0.3/config.json.
constexpr std::array<llama::Geometry, 1> kPresets = {{
    {"mistral-7b", "mistral", 32, 4096, 32, 8, 128, 14336, 32768, 32768, 1000000.0, 1e-5,
     false, 1, 2},
}};

nlohmann::json preset(const std::string& name) { return llama::find_preset(kPresets, name); }

std::vector<std::string> preset_names() { return llama::preset_names_of(kPresets); }

}  // namespace
}  // namespace mistral

const ModelFamily& mistral_family() {
  static const ModelFamily family{"mistral", mistral::parse_config, llama::tensor_table,
                                  llama::make_forward, mistral::preset, mistral::preset_names};
  return family;
}

}  // namespace strata
