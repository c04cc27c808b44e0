// Conversion of a Hugging Face OPT directory into a Strata weight store (docs/store.md): every
// tensor under its canonical name (HfCheckpoint drops "model."), in its stored dtype, grouped
// one file per decoder layer (layer_000.bin, ...) plus globals.bin (embeddings, positions,
// projections, final norm, untied head); config.json and the tokenizer files copied beside the
// manifest so the store is a self-contained model directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "engine/models/opt/opt_config.h"
#include "offload/weight_store_writer.h"

namespace strata {

// One data file of the store and the tensors it holds, in order, with their expected shapes.
struct StoreFileLayout {
  std::string file;
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
};

// The store layout of an OPT model: globals.bin first, then one file per layer. Absent parts
// (no bias, no affine norms, no projection, tied head) have no entry.
std::vector<StoreFileLayout> opt_store_layout(const OptConfig& config);

std::string store_layer_file(int64_t layer);  // "layer_003.bin"
inline constexpr const char* kStoreGlobalsFile = "globals.bin";

struct ConvertOptions {
  std::filesystem::path model_dir;
  std::filesystem::path store_dir;
  WeightStoreWriterOptions writer;  // existing-store policy, I/O options, warning sink
  std::ostream* progress = nullptr;  // one line per data file written; nullptr: silent
};

struct ConvertSummary {
  size_t tensors = 0;
  size_t files = 0;
  uint64_t bytes = 0;  // tensor data bytes (without padding)
  double seconds = 0;
};

// Reads config.json and the checkpoint, checks every tensor's presence, dtype (F32, F16, BF16)
// and shape before writing anything (InputError naming file and tensor), then writes the store
// atomically. On any failure no store and no temporary directory are left behind.
ConvertSummary convert_hf_to_store(const ConvertOptions& options);

}  // namespace strata
