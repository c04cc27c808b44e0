// Conversion of a Hugging Face model directory into a Strata weight store (docs/store.md): every
// tensor of the family's table (engine/models/tensor_table.h) under its canonical name
// (HfCheckpoint drops "model."), in its stored dtype, grouped one file per decoder layer
// (layer_000.bin, ...) plus globals.bin (the embedding and head stages); config.json and the
// tokenizer files copied beside the manifest so the store is a self-contained model directory.
//
// With a weight quantization (`strata convert --quant w4g64`), the table's quantizable tensors
// (the decoder layers' linear weight matrices) are stored pre-quantized: dtype "q4g64"
// (quant/format.h, GroupAxis::kCols: groups along each row's input dimension), so rows [r0, r1)
// stay one byte range. Everything else (embeddings, norms, biases, an untied head) keeps its
// stored dtype.
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
#include "engine/io/hf_checkpoint.h"
#include "engine/models/model_family.h"
#include "offload/weight_store_writer.h"

namespace strata {

// A store's weight quantization: nullopt = none, else q4 or q8 with a group size.
using WeightQuant = std::optional<TensorFormat>;

// "none" | "w4g64" | "w8g64" | "w4g128" ... ("w<4|8>g<N>", N a multiple of 8 in [8, 8192]).
// Throws InputError "<what>: 'x' is not a weight quantization (accepted: ...)".
WeightQuant parse_weight_quant(std::string_view text, std::string_view what);
std::string weight_quant_name(const WeightQuant& quant);  // "none", "w4g64"

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
// The same for a model already opened (its spec and checkpoint); options.model_dir still names
// where config.json and the tokenizer files are copied from.
ConvertSummary convert_checkpoint_to_store(const ModelSpec& model, const HfCheckpoint& checkpoint,
                                           const ConvertOptions& options);

}  // namespace strata
