#include "engine/io/hf_checkpoint.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "engine/io/finite_check.h"
#include "common/json_guard.h"

namespace strata {
namespace {

std::string canonical(const std::string& stored) {
  constexpr std::string_view prefix = "model.";
  return stored.rfind(prefix, 0) == 0 ? stored.substr(prefix.size()) : stored;
}

// Shard file names listed by an index, each checked to exist.
std::vector<std::string> shard_names(const std::filesystem::path& index_path) {
  std::ifstream in(index_path);
  STRATA_CHECK_INPUT(in.good(), index_path.string(), ": cannot open");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  check_json_depth(text, index_path.string());
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  STRATA_CHECK_INPUT(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
                     index_path.string(), ": not a safetensors index (no \"weight_map\" object)");
  std::set<std::string> files;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    STRATA_CHECK_INPUT(file.is_string(), index_path.string(), ": weight_map entry for ", tensor,
                       " is not a file name");
    const std::string name = file.get<std::string>();
    STRATA_CHECK_INPUT(name.find('/') == std::string::npos, index_path.string(), ": shard '",
                       name, "' must be a file name in the model directory");
    if (!std::filesystem::exists(index_path.parent_path() / name)) {
      fail_input(index_path.string(), ": shard ", name, " (holding tensor ", tensor,
                 ") is missing");
    }
    files.insert(name);
  }
  return {files.begin(), files.end()};
}

}  // namespace

HfCheckpoint HfCheckpoint::open(const std::filesystem::path& model_dir) {
  HfCheckpoint ckpt;
  ckpt.dir_ = model_dir;
  const auto single = model_dir / "model.safetensors";
  const auto index = model_dir / "model.safetensors.index.json";
  std::vector<std::string> names;
  if (std::filesystem::exists(single)) {
    names = {"model.safetensors"};
    ckpt.searched_ = single.string();
  } else if (std::filesystem::exists(index)) {
    names = shard_names(index);
    ckpt.searched_ = std::to_string(names.size()) + " shards of " + index.string();
  } else {
    fail_input(model_dir.string(), ": no model.safetensors or model.safetensors.index.json "
               "(Strata reads safetensors checkpoints)");
  }
  for (const auto& name : names) {
    ckpt.files_.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::open(model_dir / name)));
    const SafetensorsFile* file = ckpt.files_.back().get();
    for (const auto& [stored, entry] : file->entries()) {
      const auto [it, inserted] = ckpt.tensors_.emplace(canonical(stored), Located{file, stored, &entry});
      STRATA_CHECK_INPUT(inserted, file->path().string(), ": tensor ", stored,
                         " also appears in ", it->second.file->path().string());
    }
  }
  return ckpt;
}

const HfCheckpoint::Located* HfCheckpoint::find(const std::string& canonical_name) const {
  const auto it = tensors_.find(canonical_name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const HfCheckpoint::Located& HfCheckpoint::require(const std::string& canonical_name) const {
  const Located* t = find(canonical_name);
  if (t == nullptr) fail_input(searched_, ": tensor ", canonical_name, " is missing");
  return *t;
}

namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

const HfCheckpoint::Located& HfCheckpoint::require_weight(const std::string& canonical_name,
                                                          const std::vector<int64_t>& shape) const {
  const Located& loc = require(canonical_name);
  const std::string where = loc.file->path().string() + ": tensor " + loc.stored_name;
  STRATA_CHECK_INPUT(loc.entry->dtype.has_value() && *loc.entry->dtype != DType::i32, where,
                     ": dtype ", loc.entry->dtype_name,
                     " is not supported for weights (F32, F16 or BF16)");
  if (loc.entry->shape != shape) {
    fail_input(where, ": shape ", shape_text(loc.entry->shape), ", expected ", shape_text(shape),
               " from config.json");
  }
  return loc;
}

void HfCheckpoint::read(const Located& tensor, void* dst) const {
  tensor.file->read(tensor.stored_name, *tensor.entry, dst);
  if (tensor.entry->dtype) {
    check_finite(dst, *tensor.entry->dtype, tensor.entry->nbytes,
                 tensor.file->path().string() + ": tensor " + tensor.stored_name);
  }
}

void HfCheckpoint::read_range(const Located& tensor, uint64_t begin, uint64_t length,
                              void* dst) const {
  tensor.file->read_range(tensor.stored_name, *tensor.entry, begin, length, dst);
  if (tensor.entry->dtype) {
    check_finite(dst, *tensor.entry->dtype, length,
                 tensor.file->path().string() + ": tensor " + tensor.stored_name);
  }
}

std::vector<std::string> HfCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, located] : tensors_) out.push_back(name);
  return out;
}

void check_no_unknown_tensors(const HfCheckpoint& ckpt, const TensorTable& table,
                              bool tied_head) {
  for (const std::string& name : ckpt.names()) {
    if (table.find(name) != nullptr) continue;
    // Buffers some exporters save, and a tied head's copy: nothing the model computes with.
    const bool ignorable = name.ends_with("rotary_emb.inv_freq") ||
                           (tied_head && name == "lm_head.weight");
    STRATA_CHECK_INPUT(ignorable, ckpt.dir().string(), ": tensor ", name, " is in the checkpoint "
                       "but not in the model config.json describes (check num_hidden_layers and "
                       "the bias flags)");
  }
}

}  // namespace strata
