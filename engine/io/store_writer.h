// Conversion of a Hugging Face OPT directory into a Strata weight store (docs/store.md): every
// tensor under its canonical name (HfCheckpoint drops "model."), in its stored dtype, grouped
// one file per decoder layer (layer_000.bin, ...) plus globals.bin (embeddings, positions,
// projections, final norm, untied head); config.json and the tokenizer files copied beside the
// manifest so the store is a self-contained model directory.
//
// With a weight quantization (`strata convert --quant w4g64`), the six linear weight matrices of
// every decoder layer (q, k, v, out projections, fc1, fc2) are stored pre-quantized: dtype
// "q4g64" (quant/format.h, GroupAxis::kCols: groups along each row's input dimension), so rows
// [r0, r1) stay one byte range. Everything else (embeddings, positions, projections, layer norms,
// biases, an untied head) keeps its stored dtype.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/dtype.h"
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

// A store's weight quantization: nullopt = none, else q4 or q8 with a group size.
using WeightQuant = std::optional<TensorFormat>;

// "none" | "w4g64" | "w8g64" | "w4g128" ... ("w<4|8>g<N>", N a multiple of 8 in [8, 8192]).
// Throws InputError "<what>: 'x' is not a weight quantization (accepted: ...)".
WeightQuant parse_weight_quant(std::string_view text, std::string_view what);
std::string weight_quant_name(const WeightQuant& quant);  // "none", "w4g64"
// Whether a conversion with a quantization stores tensor `name` quantized (the decoder layers'
// linear weights).
bool quantized_in_store(const std::string& name);

struct ConvertOptions {
  std::filesystem::path model_dir;
  std::filesystem::path store_dir;
  WeightQuant quant;                // none: every tensor in its stored dtype
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
