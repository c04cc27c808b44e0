// The OPT family's config.json (read_model_config) on files files written into a temporary folder: defaults, the released
// shapes (opt-125m, opt-350m's post-LN projected shape), and errors that name the file and field.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "engine/models/model_family.h"
#include "test_support.h"

namespace strata {
namespace {

using nlohmann::json;

// The fields without defaults, as in facebook/opt-125m.
json minimal_config() {
  return {{"model_type", "opt"},         {"vocab_size", 50272},
          {"hidden_size", 768},          {"num_hidden_layers", 12},
          {"ffn_dim", 3072},             {"num_attention_heads", 12},
          {"max_position_embeddings", 2048}};
}

ModelConfig load(const ut::TempDir& dir, const json& config) {
  ut::write_file(dir / "config.json", config.dump(2));
  return read_model_config(dir.path());
}

// Loading must throw InputError whose message names config.json and every string in `names`.
void expect_error(const std::string& text, std::initializer_list<std::string> names) {
  ut::TempDir dir;
  ut::write_file(dir / "config.json", text);
  CAPTURE(text);
  try {
    read_model_config(dir.path());
    FAIL("no InputError for a bad config");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find("config.json") != std::string::npos);
    for (const auto& n : names) CHECK(msg.find(n) != std::string::npos);
  }
}

json with(json j, const std::string& field, json value) {
  if (value.is_discarded()) {
    j.erase(field);
  } else {
    j[field] = std::move(value);
  }
  return j;
}

}  // namespace

TEST_CASE("OPT config defaults for a minimal pre-LN config", "[config]") {
  ut::TempDir dir;
  const ModelConfig c = load(dir, minimal_config());
  CHECK(c.vocab_size == 50272);
  CHECK(c.hidden_size == 768);
  CHECK(c.num_layers == 12);
  CHECK(c.ffn_dim == 3072);
  CHECK(c.num_heads == 12);
  CHECK(c.head_dim == 64);
  CHECK(c.max_positions == 2048);
  CHECK(c.embed_dim == 768);
  CHECK(c.embed_dim == c.hidden_size);
  CHECK(c.norm_placement == NormPlacement::pre);
  CHECK(c.final_norm);
  CHECK(c.norm_affine);
  CHECK((c.attention_bias && c.mlp_bias));
  CHECK(c.tied_head);
  CHECK(c.activation == Activation::relu);
  CHECK(c.bos_token_id == 2);
  CHECK(c.eos_token_ids == std::vector<int32_t>{2});
  CHECK(c.pad_token_id == 1);
  // Explicit nulls mean "absent" too.
  json nulls = minimal_config();
  for (const char* f : {"word_embed_proj_dim", "do_layer_norm_before", "enable_bias",
                        "activation_function", "pad_token_id"}) {
    nulls[f] = nullptr;
  }
  const ModelConfig n = load(dir, nulls);
  CHECK(n.embed_dim == 768);
  CHECK(n.norm_placement == NormPlacement::pre);
  CHECK((n.attention_bias && n.mlp_bias));
  CHECK(n.pad_token_id == 1);
}

TEST_CASE("OPT config reads opt-350m's post-LN, projected shape", "[config]") {
  ut::TempDir dir;
  // facebook/opt-350m config.json, as published (extra fields are ignored).
  const json j = json::parse(R"({
    "_name_or_path": "facebook/opt-350m", "activation_dropout": 0.0,
    "activation_function": "relu", "architectures": ["OPTForCausalLM"],
    "attention_dropout": 0.0, "bos_token_id": 2, "do_layer_norm_before": false,
    "dropout": 0.1, "eos_token_id": 2, "ffn_dim": 4096, "hidden_size": 1024,
    "init_std": 0.02, "layerdrop": 0.0, "max_position_embeddings": 2048,
    "model_type": "opt", "num_attention_heads": 16, "num_hidden_layers": 24,
    "pad_token_id": 1, "prefix": "</s>", "torch_dtype": "float16",
    "transformers_version": "4.20.0.dev0", "use_cache": true, "vocab_size": 50272,
    "word_embed_proj_dim": 512})");
  const ModelConfig c = load(dir, j);
  CHECK(c.hidden_size == 1024);
  CHECK(c.embed_dim == 512);
  CHECK(c.embed_dim != c.hidden_size);
  CHECK(c.norm_placement == NormPlacement::post);
  CHECK_FALSE(c.final_norm);
  CHECK(c.num_layers == 24);
  CHECK(c.num_heads == 16);
  CHECK(c.head_dim == 64);
  CHECK(c.ffn_dim == 4096);
}

TEST_CASE("OPT config options: removed final LN, gelu, no bias, untied head, token ids",
          "[config]") {
  ut::TempDir dir;
  json j = minimal_config();
  j["_remove_final_layer_norm"] = true;
  j["activation_function"] = "gelu";
  j["enable_bias"] = false;
  j["layer_norm_elementwise_affine"] = false;
  j["tie_word_embeddings"] = false;
  j["bos_token_id"] = 0;
  j["eos_token_id"] = 7;
  j["pad_token_id"] = 5;
  const ModelConfig c = load(dir, j);
  CHECK(c.norm_placement == NormPlacement::pre);
  CHECK_FALSE(c.final_norm);
  CHECK(c.activation == Activation::gelu);
  CHECK_FALSE((c.attention_bias || c.mlp_bias));
  CHECK_FALSE(c.norm_affine);
  CHECK_FALSE(c.tied_head);
  CHECK(c.bos_token_id == 0);
  CHECK(c.eos_token_ids == std::vector<int32_t>{7});
  CHECK(c.pad_token_id == 5);
}

TEST_CASE("OPT config errors name config.json and the field", "[config]") {
  SECTION("missing file names config.json and the folder") {
    ut::TempDir dir;
    try {
      read_model_config(dir.path());
      FAIL("no InputError for a missing config.json");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("config.json") != std::string::npos);
      CHECK(msg.find(dir.path().string()) != std::string::npos);
    }
  }
  SECTION("not JSON, or not an object") {
    expect_error("{\"hidden_size\": 768,", {});
    expect_error("this is not json", {});
    expect_error("", {});
    expect_error("[1, 2, 3]", {});
  }
  const json base = minimal_config();
  const json absent = json(json::value_t::discarded);
  SECTION("missing required fields") {
    for (const char* f : {"hidden_size", "vocab_size", "num_hidden_layers", "ffn_dim",
                          "num_attention_heads", "max_position_embeddings"}) {
      expect_error(with(base, f, absent).dump(), {f});
    }
  }
  SECTION("negative, zero, fractional and string sizes") {
    expect_error(with(base, "hidden_size", -768).dump(), {"hidden_size", "-768"});
    expect_error(with(base, "num_hidden_layers", 0).dump(), {"num_hidden_layers"});
    expect_error(with(base, "ffn_dim", 3072.5).dump(), {"ffn_dim"});
    expect_error(with(base, "vocab_size", "50272").dump(), {"vocab_size"});
    expect_error(with(base, "word_embed_proj_dim", -1).dump(), {"word_embed_proj_dim"});
    expect_error(with(base, "pad_token_id", -1).dump(), {"pad_token_id"});
  }
  SECTION("token ids beyond int32 are rejected, not truncated") {
    // 2^32 + 2 would silently become token 2 after a narrowing conversion.
    expect_error(with(base, "eos_token_id", 4294967298LL).dump(), {"eos_token_id"});
  }
  SECTION("wrong model_type, or none") {
    expect_error(with(base, "model_type", "gpt2").dump(), {"model_type", "gpt2"});
    expect_error(with(base, "model_type", absent).dump(), {"model_type"});
  }
  SECTION("flags and activation of the wrong kind") {
    expect_error(with(base, "do_layer_norm_before", "yes").dump(), {"do_layer_norm_before"});
    expect_error(with(base, "activation_function", "silu").dump(), {"activation_function", "silu"});
  }
  SECTION("hidden_size not divisible by the heads") {
    expect_error(with(with(base, "hidden_size", 100), "num_attention_heads", 16).dump(),
                 {"hidden_size", "num_attention_heads", "100", "16"});
  }
}

}  // namespace strata
