// The Llama-style families' config.json (llama, mistral, qwen2, qwen3): fields as transformers
// reads them, the family flags, the presets' real geometry and table, the RoPE frequencies
// against a float64 reading of transformers' formulas, and errors that name file and field.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "engine/models/model_family.h"

namespace strata {
namespace {

using nlohmann::json;

json llama_config() {
  return {{"model_type", "llama"},        {"vocab_size", 1000},
          {"hidden_size", 64},            {"intermediate_size", 128},
          {"num_hidden_layers", 2},       {"num_attention_heads", 4},
          {"num_key_value_heads", 2},     {"rms_norm_eps", 1e-5},
          {"rope_theta", 500000.0},       {"eos_token_id", json::array({7, 9})}};
}

std::string error_of(const json& j) {
  try {
    parse_model_config(j, "m/config.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("llama config: GQA, head_dim, eos list, no biases, rms norm") {
  const ModelConfig c = parse_model_config(llama_config(), "config.json");
  CHECK(c.family == "llama");
  CHECK(c.num_kv_heads == 2);
  CHECK(c.head_dim == 16);
  CHECK(c.kv_width() == 32);
  CHECK(c.norm == NormKind::rms_norm);
  CHECK_FALSE((c.attention_bias || c.out_proj_bias || c.mlp_bias || c.tied_head));
  CHECK(c.is_eos(7));
  CHECK(c.is_eos(9));
  CHECK_FALSE(c.is_eos(8));
  CHECK(c.rotary);
  CHECK(c.rope.theta == 500000.0);
  // attention_bias puts biases on all four projections (Llama), not only q/k/v (Qwen2).
  json b = llama_config();
  b["attention_bias"] = true;
  const ModelConfig cb = parse_model_config(b, "config.json");
  CHECK((cb.attention_bias && cb.out_proj_bias));
}

TEST_CASE("family flags: qwen2 q/k/v biases, qwen3 q/k norm and head_dim, mistral window") {
  json q2 = llama_config();
  q2["model_type"] = "qwen2";
  const ModelConfig c2 = parse_model_config(q2, "config.json");
  CHECK((c2.attention_bias && !c2.out_proj_bias));
  const TensorTable t2 = model_spec(c2).tensors;
  CHECK(t2.find("layers.0.self_attn.q_proj.bias") != nullptr);
  CHECK(t2.find("layers.0.self_attn.o_proj.bias") == nullptr);

  json q3 = llama_config();
  q3["model_type"] = "qwen3";
  q3["head_dim"] = 24;
  const ModelConfig c3 = parse_model_config(q3, "config.json");
  CHECK(c3.qk_norm);
  CHECK(c3.q_width() == 96);
  const TensorTable t3 = model_spec(c3).tensors;
  REQUIRE(t3.find("layers.1.self_attn.q_proj.weight") != nullptr);
  CHECK(t3.find("layers.1.self_attn.q_proj.weight")->shape == std::vector<int64_t>{96, 64});
  CHECK(t3.find("layers.1.self_attn.o_proj.weight")->shape == std::vector<int64_t>{64, 96});
  CHECK(t3.find("layers.1.self_attn.k_norm.weight")->shape == std::vector<int64_t>{24});
  q3.erase("head_dim");
  CHECK(parse_model_config(q3, "config.json").head_dim == 128);  // Qwen3Config's default

  json m = llama_config();
  m["model_type"] = "mistral";
  m["sliding_window"] = 4096;
  CHECK(parse_model_config(m, "config.json").sliding_window == 4096);
  m["sliding_window"] = nullptr;  // later Mistral releases
  CHECK(parse_model_config(m, "config.json").sliding_window == 0);
}

TEST_CASE("presets: the real geometries of the families, planned from their tables") {
  struct Want {
    const char* name;
    int64_t layers, kv_heads, head_dim;
    double billions;  // parameters, as published
  };
  for (const Want& w : {Want{"llama-3.1-8b", 32, 8, 128, 8.03}, Want{"llama-3.1-70b", 80, 8, 128, 70.6},
                        Want{"qwen2.5-7b", 28, 4, 128, 7.62}, Want{"qwen2.5-32b", 64, 8, 128, 32.8},
                        Want{"qwen2.5-72b", 80, 8, 128, 72.7}, Want{"qwen3-8b", 36, 8, 128, 8.19},
                        Want{"qwen3-32b", 64, 8, 128, 32.8}, Want{"mistral-7b", 32, 8, 128, 7.25}}) {
    CAPTURE(w.name);
    const ModelSpec spec = model_spec(parse_model_config(preset_config(w.name), w.name));
    CHECK(spec.config.num_layers == w.layers);
    CHECK(spec.config.num_kv_heads == w.kv_heads);
    CHECK(spec.config.head_dim == w.head_dim);
    double params = 0;
    for (const TensorSpec& t : spec.tensors.tensors) {
      double n = 1;
      for (int64_t d : t.shape) n *= double(d);
      params += n;
    }
    CHECK(params / 1e9 == Approx(w.billions).epsilon(0.01));
  }
}

TEST_CASE("llama3 rope scaling: transformers' frequency bands") {
  json j = llama_config();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  j["hidden_size"] = 512;  // head_dim 128, as Llama 3.1
  const ModelConfig c = parse_model_config(j, "config.json");
  const std::vector<float> f = rope_inv_freq(c.rope, c.head_dim, 131072, 1);
  REQUIRE(f.size() == 64);
  for (size_t i = 0; i < f.size(); ++i) {
    const double base = std::pow(500000.0, -2.0 * double(i) / 128.0);
    const double wavelen = 2 * M_PI / base;
    double want = base;
    if (wavelen > 8192.0) {
      want = base / 8.0;
    } else if (wavelen >= 8192.0 / 4.0) {
      const double smooth = (8192.0 / wavelen - 1.0) / 3.0;
      want = (1 - smooth) * base / 8.0 + smooth * base;
    }
    CAPTURE(i);
    CHECK(f[i] == Approx(want).epsilon(1e-5));
  }
}

TEST_CASE("dynamic rope grows the base only past the trained context") {
  RopeConfig r;
  r.theta = 10000.0;
  r.type = RopeType::dynamic;
  r.factor = 2.0;
  const std::vector<float> inside = rope_inv_freq(r, 64, 100, 100);
  const std::vector<float> past = rope_inv_freq(r, 64, 100, 150);
  const double base = 10000.0 * std::pow(2.0 * 150 / 100 - 1.0, 64.0 / 62.0);
  for (size_t i = 0; i < inside.size(); ++i) {
    CHECK(inside[i] == Approx(std::pow(10000.0, -2.0 * double(i) / 64)).epsilon(1e-5));
    CHECK(past[i] == Approx(std::pow(base, -2.0 * double(i) / 64)).epsilon(1e-5));
  }
}

TEST_CASE("llama-style config errors name config.json, the field and what is supported") {
  json j = llama_config();
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  std::string e = error_of(j);
  CHECK_THAT(e, Catch::Contains("m/config.json") && Catch::Contains("rope_scaling") &&
                    Catch::Contains("yarn") && Catch::Contains("llama3"));
  j = llama_config();
  j["hidden_act"] = "gelu";
  CHECK_THAT(error_of(j), Catch::Contains("hidden_act") && Catch::Contains("silu"));
  j = llama_config();
  j["num_key_value_heads"] = 3;
  CHECK_THAT(error_of(j), Catch::Contains("num_key_value_heads"));
  j = llama_config();
  j["model_type"] = "qwen2";
  j["use_sliding_window"] = true;
  CHECK_THAT(error_of(j), Catch::Contains("use_sliding_window"));
  j = llama_config();
  j["model_type"] = "gemma";
  CHECK_THAT(error_of(j), Catch::Contains("model_type") && Catch::Contains("qwen3"));
  j = llama_config();
  j.erase("intermediate_size");
  CHECK_THAT(error_of(j), Catch::Contains("intermediate_size"));
  j = llama_config();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  CHECK_THAT(error_of(j), Catch::Contains("original_max_position_embeddings"));
}

}  // namespace
}  // namespace strata
