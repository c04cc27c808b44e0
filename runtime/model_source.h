// ModelSource: a model as one command opens it, once — config.json parsed into its family's
// ModelSpec, the checkpoint's safetensors headers (a Hugging Face directory) or the manifest (a
// store written by strata convert), and the tokenizer. Planning, the capacity check and the
// engine all read this; none opens the model's files again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/policy.h"
#include "engine/executor/weight_layout.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/models/model_family.h"
#include "engine/tokenizer/tokenizer.h"
#include "offload/weight_store.h"
#include "planner/matrix_bytes.h"

namespace strata {

class ModelSource {
 public:
  // An HF directory or a store. InputError naming the file at fault.
  static ModelSource open(const std::filesystem::path& dir, WarningSink warn = {});

  const std::filesystem::path& dir() const { return dir_; }
  bool is_store() const { return store_.has_value(); }
  const std::shared_ptr<const ModelSpec>& model() const { return model_; }
  const ModelConfig& config() const { return model_->config; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // [bos] + encode(text), as OPT's tokenizer does.
  std::vector<int32_t> prompt_ids(std::string_view text) const;

  // Every tensor's format as the executor will find it: the store's, or the checkpoint's after
  // a conversion quantizing the table's quantizable tensors as `compress_weight` asks.
  DTypeOf formats(Compression compress_weight) const;
  // The dense format the weights are stored in (the planner's ModelGeometry::weight_format).
  StorageFormat dense_weight_format() const;
  // The store's weight quantization ("none", "w4g64"); "none" for a checkpoint.
  std::string store_quant() const;

  const std::shared_ptr<const HfCheckpoint>& checkpoint() const { return checkpoint_; }
  // The opened store, handed to the engine (once).
  WeightStore take_store();

 private:
  std::filesystem::path dir_;
  std::shared_ptr<const ModelSpec> model_;
  std::shared_ptr<const HfCheckpoint> checkpoint_;  // an HF directory
  std::optional<WeightStore> store_;                // a store
  std::shared_ptr<const Tokenizer> tokenizer_;
};

bool is_store_dir(const std::filesystem::path& dir);

// A prompt's ids as the model's tokenizer makes them: [bos] + encode(text), as OPT's does.
std::vector<int32_t> prompt_ids(const ModelConfig& config, const Tokenizer& tokenizer,
                                std::string_view text);

}  // namespace strata
