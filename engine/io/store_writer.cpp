#include "engine/io/store_writer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "engine/core/quantize_matrix.h"
#include "engine/io/hf_checkpoint.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// Files copied into the store when present; config.json is required.
constexpr const char* kSideFiles[] = {"config.json",           "vocab.json",
                                      "merges.txt",            "special_tokens_map.json",
                                      "tokenizer_config.json", "tokenizer.json",
                                      "generation_config.json"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK_INPUT(in.good(), path.string(), ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// config.json's top-level scalars, as manifest key/values (lists and objects are left to the
// copied config.json).
std::vector<std::pair<std::string, std::string>> config_fields(const std::string& json_text,
                                                              const fs::path& path) {
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  STRATA_CHECK_INPUT(j.is_object(), path.string(), ": not a JSON object");
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) {
      fields.emplace_back(key, value.get<std::string>());
    } else if (value.is_primitive()) {
      fields.emplace_back(key, value.dump());
    }
  }
  return fields;
}

struct Planned {
  std::string file;
  std::string name;  // canonical
  const HfCheckpoint::Located* located;
  std::vector<int64_t> shape;
};

// Every tensor of the layout, checked against the checkpoint before anything is written.
std::vector<Planned> plan(const std::vector<StoreFileLayout>& layout, const HfCheckpoint& ckpt) {
  std::vector<Planned> out;
  for (const StoreFileLayout& f : layout) {
    for (const auto& [name, shape] : f.tensors) {
      const HfCheckpoint::Located& loc = ckpt.require_weight(name, shape);
      out.push_back({f.file, name, &loc, shape});
    }
  }
  return out;
}

constexpr const char* kAcceptedQuant =
    "accepted: none, w4g64, w8g64, or w4gN / w8gN with N a multiple of 8 in [8, 8192]";

}  // namespace

WeightQuant parse_weight_quant(std::string_view text, std::string_view what) {
  if (text == "none") return std::nullopt;
  if (text.size() > 1 && text[0] == 'w') {
    const std::string as_dtype = "q" + std::string(text.substr(1));
    if (const std::optional<TensorFormat> f = parse_tensor_format(as_dtype);
        f && is_quantized(f->dtype)) {
      return *f;
    }
  }
  fail_input(what, ": '", text, "' is not a weight quantization (", kAcceptedQuant, ")");
}

std::string weight_quant_name(const WeightQuant& quant) {
  if (!quant) return "none";
  return "w" + format_name(*quant).substr(1);
}

bool quantized_in_store(const std::string& name) {
  if (name.rfind("decoder.layers.", 0) != 0) return false;
  for (const char* suffix : {".self_attn.q_proj.weight", ".self_attn.k_proj.weight",
                             ".self_attn.v_proj.weight", ".self_attn.out_proj.weight",
                             ".fc1.weight", ".fc2.weight"}) {
    const std::string_view s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      return true;
    }
  }
  return false;
}

std::string store_layer_file(int64_t layer) {
  char name[32];
  std::snprintf(name, sizeof(name), "layer_%03lld.bin", static_cast<long long>(layer));
  return name;
}

std::vector<StoreFileLayout> opt_store_layout(const OptConfig& c) {
  const int64_t h = c.hidden_size, p = c.word_embed_proj_dim;
  std::vector<StoreFileLayout> layout;
  StoreFileLayout g{kStoreGlobalsFile, {}};
  const auto add = [](StoreFileLayout& f, bool present, std::string name, std::vector<int64_t> s) {
    if (present) f.tensors.emplace_back(std::move(name), std::move(s));
  };
  // Same names and shapes as OptWeights::load reads.
  add(g, true, "decoder.embed_tokens.weight", {c.vocab_size, p});
  add(g, true, "decoder.embed_positions.weight", {c.max_positions + OptConfig::kPositionOffset, h});
  add(g, c.has_projection(), "decoder.project_in.weight", {h, p});
  add(g, c.has_projection(), "decoder.project_out.weight", {p, h});
  add(g, c.final_layer_norm && c.layer_norm_affine, "decoder.final_layer_norm.weight", {h});
  add(g, c.final_layer_norm && c.layer_norm_affine, "decoder.final_layer_norm.bias", {h});
  add(g, !c.tied_head, "lm_head.weight", {c.vocab_size, p});
  layout.push_back(std::move(g));
  for (int64_t j = 0; j < c.num_layers; ++j) {
    StoreFileLayout f{store_layer_file(j), {}};
    const std::string pre = "decoder.layers." + std::to_string(j) + ".";
    const auto linear = [&](const std::string& name, int64_t out, int64_t in) {
      add(f, true, pre + name + ".weight", {out, in});
      add(f, c.bias, pre + name + ".bias", {out});
    };
    const auto norm = [&](const std::string& name) {
      add(f, c.layer_norm_affine, pre + name + ".weight", {h});
      add(f, c.layer_norm_affine, pre + name + ".bias", {h});
    };
    linear("self_attn.q_proj", h, h);
    linear("self_attn.k_proj", h, h);
    linear("self_attn.v_proj", h, h);
    linear("self_attn.out_proj", h, h);
    norm("self_attn_layer_norm");
    linear("fc1", c.ffn_dim, h);
    linear("fc2", h, c.ffn_dim);
    norm("final_layer_norm");
    layout.push_back(std::move(f));
  }
  return layout;
}

ConvertSummary convert_hf_to_store(const ConvertOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const OptConfig config = OptConfig::load(options.model_dir);
  const HfCheckpoint ckpt = HfCheckpoint::open(options.model_dir);
  const std::vector<Planned> planned = plan(opt_store_layout(config), ckpt);
  const fs::path config_path = options.model_dir / "config.json";

  WeightStoreWriter writer(options.store_dir, options.writer);
  writer.set_model_config(config_fields(read_text(config_path), config_path));
  writer.set_quant(weight_quant_name(options.quant));
  std::vector<char> source;  // a quantized tensor's checkpoint bytes
  ConvertSummary summary;
  uint64_t file_bytes = 0;
  size_t file_tensors = 0;
  const auto report_file = [&](const std::string& file) {
    if (options.progress != nullptr) {
      *options.progress << "convert: " << file << ": " << file_tensors << " tensors, "
                        << std::fixed << std::setprecision(2) << double(file_bytes) / (1 << 20)
                        << " MiB" << std::endl;
    }
    ++summary.files;
    file_bytes = 0;
    file_tensors = 0;
  };
  for (size_t i = 0; i < planned.size(); ++i) {
    const Planned& t = planned[i];
    const SafetensorsEntry& e = *t.located->entry;
    uint64_t length = e.nbytes;
    if (options.quant && quantized_in_store(t.name)) {
      const TensorFormat& q = *options.quant;
      length = uint64_t(t.shape[0]) * format_row_bytes(q, t.shape[1]);
      const StoreTensorSpec spec{t.name, format_name(q), t.shape, length};
      writer.add_tensor(t.file, spec, [&](void* dst) {
        source.resize(e.nbytes);
        ckpt.read(*t.located, source.data());
        quantize_matrix(source.data(), *e.dtype, t.shape[0], t.shape[1], q, dst, t.name);
      });
    } else {
      const StoreTensorSpec spec{t.name, std::string(dtype_name(*e.dtype)), t.shape, e.nbytes};
      writer.add_tensor(t.file, spec, [&](void* dst) { ckpt.read(*t.located, dst); });
    }
    summary.tensors += 1;
    summary.bytes += length;
    file_bytes += length;
    ++file_tensors;
    if (i + 1 == planned.size() || planned[i + 1].file != t.file) report_file(t.file);
  }
  for (const char* name : kSideFiles) {
    const fs::path path = options.model_dir / name;
    if (fs::exists(path)) writer.add_side_file(name, read_text(path));
  }
  writer.finish();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace strata
