#include "engine/models/opt/opt_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace strata {
namespace {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string file) : j_(j), file_(std::move(file)) {}

  int64_t positive(const char* field) const {
    STRATA_CHECK_INPUT(j_.contains(field), file_, ": field '", field, "' is missing");
    const auto& v = j_[field];
    STRATA_CHECK_INPUT(v.is_number_integer() && v.get<int64_t>() > 0, file_, ": field '", field,
                       "': expected a positive integer, got ", v.dump());
    return v.get<int64_t>();
  }
  int64_t positive_or(const char* field, int64_t fallback) const {
    return j_.contains(field) && !j_[field].is_null() ? positive(field) : fallback;
  }
  bool flag_or(const char* field, bool fallback) const {
    if (!j_.contains(field) || j_[field].is_null()) return fallback;
    STRATA_CHECK_INPUT(j_[field].is_boolean(), file_, ": field '", field,
                       "': expected true or false, got ", j_[field].dump());
    return j_[field].get<bool>();
  }
  int32_t token_or(const char* field, int32_t fallback) const {
    if (!j_.contains(field) || j_[field].is_null()) return fallback;
    STRATA_CHECK_INPUT(j_[field].is_number_integer() && j_[field].get<int64_t>() >= 0 &&
                           j_[field].get<int64_t>() <= INT32_MAX, file_,
                       ": field '", field, "': expected a token id, got ", j_[field].dump());
    return j_[field].get<int32_t>();
  }
  std::string string_or(const char* field, const std::string& fallback) const {
    if (!j_.contains(field) || j_[field].is_null()) return fallback;
    STRATA_CHECK_INPUT(j_[field].is_string(), file_, ": field '", field,
                       "': expected a string, got ", j_[field].dump());
    return j_[field].get<std::string>();
  }

 private:
  const nlohmann::json& j_;
  std::string file_;
};

}  // namespace

OptConfig OptConfig::load(const std::filesystem::path& model_dir) {
  const auto path = model_dir / "config.json";
  std::ifstream in(path);
  if (!in.good()) {
    fail_input(path.string(), ": cannot open (is ", model_dir.string(),
               " a Hugging Face model directory?)");
  }
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  STRATA_CHECK_INPUT(j.is_object(), path.string(), ": not a JSON object");
  const ConfigReader r(j, path.string());

  const std::string model_type = r.string_or("model_type", "");
  STRATA_CHECK_INPUT(model_type == "opt", path.string(), ": field 'model_type': '", model_type,
                     "' is not supported (this version of Strata runs OPT models)");
  OptConfig c;
  c.vocab_size = r.positive("vocab_size");
  c.hidden_size = r.positive("hidden_size");
  c.num_layers = r.positive("num_hidden_layers");
  c.ffn_dim = r.positive("ffn_dim");
  c.num_heads = r.positive("num_attention_heads");
  c.max_positions = r.positive("max_position_embeddings");
  c.word_embed_proj_dim = r.positive_or("word_embed_proj_dim", c.hidden_size);
  c.layer_norm_before = r.flag_or("do_layer_norm_before", true);
  // transformers' OPTDecoder keeps a final LN only for pre-LN models not marked as removed.
  c.final_layer_norm = c.layer_norm_before && !r.flag_or("_remove_final_layer_norm", false);
  c.layer_norm_affine = r.flag_or("layer_norm_elementwise_affine", true);
  c.bias = r.flag_or("enable_bias", true);
  c.tied_head = r.flag_or("tie_word_embeddings", true);
  c.bos_token_id = r.token_or("bos_token_id", 2);
  c.eos_token_id = r.token_or("eos_token_id", 2);
  c.pad_token_id = r.token_or("pad_token_id", 1);
  const std::string act = r.string_or("activation_function", "relu");
  if (act == "relu") {
    c.activation = Activation::relu;
  } else if (act == "gelu") {
    c.activation = Activation::gelu;
  } else {
    fail_input(path.string(), ": field 'activation_function': '", act,
               "' is not supported (relu or gelu)");
  }
  STRATA_CHECK_INPUT(c.hidden_size % c.num_heads == 0, path.string(), ": hidden_size ",
                     c.hidden_size, " is not a multiple of num_attention_heads ", c.num_heads);
  return c;
}

}  // namespace strata
