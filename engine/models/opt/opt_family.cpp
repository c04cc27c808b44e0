#include "engine/models/opt/opt_family.h"

#include <nlohmann/json.hpp>

#include "engine/models/opt/opt_forward.h"

namespace strata {
namespace opt {

ModelConfig parse_config(const nlohmann::json& j, const std::string& path);
TensorTable tensor_table(const ModelConfig& c);
nlohmann::json preset(const std::string& name);
std::vector<std::string> preset_names();

std::unique_ptr<ModelForward> make_forward(const ModelConfig& c) {
  return std::make_unique<OptForward>(c);
}

}  // namespace opt

const ModelFamily& opt_family() {
  static const ModelFamily family{"opt", opt::parse_config, opt::tensor_table, opt::make_forward,
                                  opt::preset, opt::preset_names};
  return family;
}

}  // namespace strata
