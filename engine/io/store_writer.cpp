#include "engine/io/store_writer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/json_guard.h"
#include "engine/core/quantize_matrix.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/models/model_family.h"

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
  check_json_depth(json_text, path.string());
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
  const TensorSpec* spec;
  const HfCheckpoint::Located* located;
};

// Every tensor of the table, checked against the checkpoint before anything is written.
std::vector<Planned> plan(const TensorTable& table, const HfCheckpoint& ckpt) {
  std::vector<Planned> out;
  for (const TensorSpec& t : table.tensors) {
    out.push_back({store_file_of(table, t.stage), &t, &ckpt.require_weight(t.name, t.shape)});
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

ConvertSummary convert_hf_to_store(const ConvertOptions& options) {
  const ModelSpec spec = model_spec(read_model_config(options.model_dir));
  return convert_checkpoint_to_store(spec, HfCheckpoint::open(options.model_dir), options);
}

ConvertSummary convert_checkpoint_to_store(const ModelSpec& spec, const HfCheckpoint& ckpt,
                                           const ConvertOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_no_unknown_tensors(ckpt, spec.tensors, spec.config.tied_head);
  const std::vector<Planned> planned = plan(spec.tensors, ckpt);
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
    const std::string& name = t.spec->name;
    const std::vector<int64_t>& shape = t.spec->shape;
    if (options.quant && t.spec->quantizable) {
      const TensorFormat& q = *options.quant;
      length = uint64_t(shape[0]) * format_row_bytes(q, shape[1]);
      const StoreTensorSpec spec{name, format_name(q), shape, length};
      writer.add_tensor(t.file, spec, [&](void* dst) {
        source.resize(e.nbytes);
        ckpt.read(*t.located, source.data());
        quantize_matrix(source.data(), *e.dtype, shape[0], shape[1], q, dst, name);
      });
    } else {
      const StoreTensorSpec spec{name, std::string(dtype_name(*e.dtype)), shape, e.nbytes};
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
