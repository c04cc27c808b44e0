// HfCheckpoint: the tensors of a Hugging Face model directory, from model.safetensors or from
// shards listed in model.safetensors.index.json. Names are canonical: a leading "model." is
// dropped, so "model.decoder.layers.0.fc1.weight" and "decoder.layers.0.fc1.weight" are one name.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/safetensors_file.h"
#include "engine/models/tensor_table.h"

namespace strata {

class HfCheckpoint {
 public:
  struct Located {
    const SafetensorsFile* file;
    std::string stored_name;  // the name as written in the file
    const SafetensorsEntry* entry;
  };

  // Throws InputError naming the directory or file when nothing loadable is found.
  static HfCheckpoint open(const std::filesystem::path& model_dir);

  // nullptr when the checkpoint has no tensor of that canonical name.
  const Located* find(const std::string& canonical_name) const;
  // Like find, but a missing tensor is an InputError naming it and where it was looked for.
  const Located& require(const std::string& canonical_name) const;
  // Like require, and the tensor must be a float weight (F32, F16, BF16) of exactly `shape`
  // (from config.json); InputError "FILE: tensor NAME: shape [..], expected [..] ..." otherwise.
  const Located& require_weight(const std::string& canonical_name,
                                const std::vector<int64_t>& shape) const;
  void read(const Located& tensor, void* dst) const;
  // Bytes [begin, begin + length) of the tensor (a row range) into dst.
  void read_range(const Located& tensor, uint64_t begin, uint64_t length, void* dst) const;
  const std::filesystem::path& dir() const { return dir_; }
  std::vector<std::string> names() const;  // every canonical tensor name

 private:
  std::filesystem::path dir_;
  std::string searched_;  // "model.safetensors" or "3 shards of model.safetensors.index.json"
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Located> tensors_;
};

// InputError naming the first checkpoint tensor that the family's table for config.json lacks
// (a layer more than num_hidden_layers, a bias the config's flags leave out), ignoring saved
// rotary buffers and a tied head's lm_head copy.
void check_no_unknown_tensors(const HfCheckpoint& ckpt, const TensorTable& table, bool tied_head);

}  // namespace strata
