#include "engine/models/model_family.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_guard.h"
#include "engine/io/model_files.h"
#include "engine/models/model_families.h"

namespace strata {

const std::vector<const ModelFamily*>& model_families() {
  static const std::vector<const ModelFamily*> families = {
      &opt_family(), &llama_family(), &mistral_family(), &qwen2_family(), &qwen3_family()};
  return families;
}

const ModelFamily& model_family(const std::string& model_type, const std::string& path) {
  std::string known;
  for (const ModelFamily* f : model_families()) {
    if (model_type == f->model_type) return *f;
    known += std::string(known.empty() ? "" : ", ") + f->model_type;
  }
  fail_input(path, ": field 'model_type': '", model_type, "' is not supported (supported: ",
             known, ")");
}

ModelConfig parse_model_config(const nlohmann::json& j, const std::string& path) {
  STRATA_CHECK_INPUT(j.is_object(), path, ": not a JSON object");
  const auto type = j.find("model_type");
  const std::string model_type =
      type != j.end() && type->is_string() ? type->get<std::string>() : std::string();
  ModelConfig c = model_family(model_type, path).parse_config(j, path);
  // A special token outside the embedding table would index past it (garbage, or a crash).
  const auto in_table = [&](int32_t id, const char* field) {
    STRATA_CHECK_INPUT(id >= 0 && id < c.vocab_size, path, ": field '", field, "': token id ", id,
                       " is outside the embedding table (vocab_size ", c.vocab_size, ")");
  };
  in_table(c.bos_token_id, "bos_token_id");
  in_table(c.pad_token_id, "pad_token_id");
  for (int32_t id : c.eos_token_ids) in_table(id, "eos_token_id");
  return c;
}

ModelConfig read_model_config(const std::filesystem::path& model_dir) {
  check_model_files_regular(model_dir);
  const auto path = model_dir / "config.json";
  std::ifstream in(path);
  if (!in.good()) {
    fail_input(path.string(), ": cannot open (is ", model_dir.string(),
               " a Hugging Face model directory?)");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  check_json_depth(text, path.string());
  return parse_model_config(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false),
                            path.string());
}

ModelSpec model_spec(const ModelConfig& config) {
  const ModelFamily& f = model_family(config.family, "model");
  return {config, f.tensor_table(config), std::shared_ptr<const ModelForward>(f.make_forward(config))};
}

nlohmann::json preset_config(const std::string& name) {
  std::string known;
  for (const ModelFamily* f : model_families()) {
    nlohmann::json j = f->preset(name);
    if (!j.is_null()) return j;
    for (const std::string& n : f->preset_names()) known += (known.empty() ? "" : ", ") + n;
  }
  fail_input("unknown model preset '", name, "' (known: ", known, ")");
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const ModelFamily* f : model_families()) {
    for (const std::string& n : f->preset_names()) names.push_back(n);
  }
  return names;
}

}  // namespace strata
