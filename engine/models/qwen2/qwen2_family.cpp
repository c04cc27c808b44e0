// The qwen2 family (Qwen2 and Qwen2.5, transformers' Qwen2ForCausalLM): Llama's layers with
// biases on the q, k and v projections only. Released models set use_sliding_window false.
#include <array>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/models/llama/llama_family.h"
#include "engine/models/model_families.h"

namespace strata {
namespace qwen2 {
namespace {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path) {
  const ConfigReader r(j, path);
  ModelConfig c = llama::parse_common(r, j, "qwen2");
  c.attention_bias = true;
  c.out_proj_bias = c.mlp_bias = false;
  STRATA_CHECK_INPUT(!r.flag_or("use_sliding_window", false), path,
                     ": field 'use_sliding_window': true is not supported (Qwen2 models are "
                     "released with false)");
  return c;
}

// Qwen/Qwen2.5-{7B,32B,72B}-Instruct/config.json.
constexpr std::array<llama::Geometry, 3> kPresets = {{
    {"qwen2.5-7b", "qwen2", 28, 3584, 28, 4, 128, 18944, 152064, 32768, 1000000.0, 1e-6, false,
     151643, 151645},
    {"qwen2.5-32b", "qwen2", 64, 5120, 40, 8, 128, 27648, 152064, 32768, 1000000.0, 1e-6, false,
     151643, 151645},
    {"qwen2.5-72b", "qwen2", 80, 8192, 64, 8, 128, 29568, 152064, 32768, 1000000.0, 1e-6, false,
     151643, 151645},
}};

nlohmann::json preset(const std::string& name) { return llama::find_preset(kPresets, name); }

std::vector<std::string> preset_names() { return llama::preset_names_of(kPresets); }

}  // namespace
}  // namespace qwen2

const ModelFamily& qwen2_family() {
  static const ModelFamily family{"qwen2", qwen2::parse_config, llama::tensor_table,
                                  llama::make_forward, qwen2::preset, qwen2::preset_names};
  return family;
}

}  // namespace strata
