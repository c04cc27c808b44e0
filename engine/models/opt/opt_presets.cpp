// The real OPT geometries (facebook/opt-*/config.json), as config.json objects for dummy models
// (`strata bench --dummy`, `strata plan --dummy`).
#include <array>
#include <nlohmann/json.hpp>

#include "engine/models/opt/opt_family.h"

namespace strata::opt {
namespace {

struct Preset {
  const char* name;
  int64_t layers, hidden, heads, ffn;
};

// num_hidden_layers, hidden_size, num_attention_heads, ffn_dim; all share vocab_size 50272 and
// max_position_embeddings 2048.
constexpr std::array<Preset, 9> kPresets = {{
    {"opt-125m", 12, 768, 12, 3072},
    {"opt-350m", 24, 1024, 16, 4096},
    {"opt-1.3b", 24, 2048, 32, 8192},
    {"opt-2.7b", 32, 2560, 32, 10240},
    {"opt-6.7b", 32, 4096, 32, 16384},
    {"opt-13b", 40, 5120, 40, 20480},
    {"opt-30b", 48, 7168, 56, 28672},
    {"opt-66b", 64, 9216, 72, 36864},
    {"opt-175b", 96, 12288, 96, 49152},
}};

}  // namespace

nlohmann::json preset(const std::string& name) {
  const std::string key = name.rfind("facebook/", 0) == 0 ? name.substr(9) : name;
  for (const Preset& p : kPresets) {
    if (key != p.name) continue;
    const bool opt350 = key == "opt-350m";  // 512-wide embedding, post-layer-norm
    return nlohmann::ordered_json{{"model_type", "opt"},
                                  {"vocab_size", 50272},
                                  {"hidden_size", p.hidden},
                                  {"num_hidden_layers", p.layers},
                                  {"ffn_dim", p.ffn},
                                  {"num_attention_heads", p.heads},
                                  {"max_position_embeddings", 2048},
                                  {"word_embed_proj_dim", opt350 ? 512 : p.hidden},
                                  {"do_layer_norm_before", !opt350},
                                  {"activation_function", "relu"},
                                  {"tie_word_embeddings", true},
                                  {"torch_dtype", "float16"},
                                  {"bos_token_id", 2},
                                  {"eos_token_id", 2},
                                  {"pad_token_id", 1}};
  }
  return nullptr;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const Preset& p : kPresets) names.emplace_back(p.name);
  return names;
}

}  // namespace strata::opt
