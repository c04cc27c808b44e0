// The qwen3 family (transformers' Qwen3ForCausalLM): Llama's layers with an RMSNorm of each
// head's q and k before RoPE, and an explicit head_dim that may differ from hidden / heads
// (Qwen3-32B: 5120 / 64 = 80, head_dim 128).
#include <array>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/models/llama/llama_family.h"
#include "engine/models/model_families.h"

namespace strata {
namespace qwen3 {
namespace {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path) {
  const ConfigReader r(j, path);
  nlohmann::json with_head_dim = j;
  if (!r.has("head_dim")) with_head_dim["head_dim"] = 128;  // Qwen3Config's default
  ModelConfig c = llama::parse_common(ConfigReader(with_head_dim, path), with_head_dim, "qwen3");
  c.qk_norm = true;
  STRATA_CHECK_INPUT(!r.flag_or("use_sliding_window", false), path,
                     ": field 'use_sliding_window': true is not supported (Qwen3 models are "
                     "released with false)");
  return c;
}

// Qwen/Qwen3-{8B,32B}/config.json.
constexpr std::array<llama::Geometry, 2> kPresets = {{
    {"qwen3-8b", "qwen3", 36, 4096, 32, 8, 128, 12288, 151936, 40960, 1000000.0, 1e-6, false,
     151643, 151645},
    {"qwen3-32b", "qwen3", 64, 5120, 64, 8, 128, 25600, 151936, 40960, 1000000.0, 1e-6, false,
     151643, 151645},
}};

nlohmann::json preset(const std::string& name) { return llama::find_preset(kPresets, name); }

std::vector<std::string> preset_names() { return llama::preset_names_of(kPresets); }

}  // namespace
}  // namespace qwen3

const ModelFamily& qwen3_family() {
  static const ModelFamily family{"qwen3", qwen3::parse_config, llama::tensor_table,
                                  llama::make_forward, qwen3::preset, qwen3::preset_names};
  return family;
}

}  // namespace strata
