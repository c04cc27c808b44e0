// ModelFamily: what one family of models (engine/models/<family>/) owns, once: parsing its
// config.json into a ModelConfig, its tensor table, its forward pieces. ModelSpec is a model as
// the executor, the store writer and the runtime see it; nothing downstream names a family's
// types. A family is one entry in model_families.cpp; a test may build a ModelSpec of its own.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/models/model_config.h"
#include "engine/models/model_forward.h"
#include "engine/models/tensor_table.h"

namespace strata {

struct ModelSpec {
  ModelConfig config;
  TensorTable tensors;
  std::shared_ptr<const ModelForward> forward;
};

struct ModelFamily {
  const char* model_type;  // config.json's model_type
  // InputError naming `path` and the field for anything missing, malformed or unsupported.
  ModelConfig (*parse_config)(const nlohmann::json& config, const std::string& path);
  TensorTable (*tensor_table)(const ModelConfig& config);
  std::unique_ptr<ModelForward> (*make_forward)(const ModelConfig& config);
  // config.json of a named geometry (`strata bench --dummy opt-1.3b`), or null when unknown.
  nlohmann::json (*preset)(const std::string& name);
  std::vector<std::string> (*preset_names)();
};

// The family of a model_type; InputError naming `path`, the field and the supported types.
const ModelFamily& model_family(const std::string& model_type, const std::string& path);
const std::vector<const ModelFamily*>& model_families();

// config.json's object → its family's ModelConfig.
ModelConfig parse_model_config(const nlohmann::json& config, const std::string& path);
// Reads <dir>/config.json (once) and parses it.
ModelConfig read_model_config(const std::filesystem::path& model_dir);
// The table and forward pieces of a config's family.
ModelSpec model_spec(const ModelConfig& config);

// config.json of a preset of any family ("opt-6.7b"); InputError listing the known names.
nlohmann::json preset_config(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace strata
