// Converted stores of Hugging Face directories, cached so that a model is converted once: the
// engine needs a store when weight rows live on disk (read each time their stage runs) or the
// weights are quantized (--compress-weight).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>

#include "engine/core/dtype.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/models/model_family.h"

namespace strata {

// The store for `model_dir`, an HF directory opened as (spec, checkpoint): its conversion in
// `cache_root` (made now when missing or stale — a changed checkpoint gets a new entry), with
// the quantizable tensors stored as `quant` in an entry of its own. Progress on `log`.
std::filesystem::path cached_store(const std::filesystem::path& model_dir, const ModelSpec& spec,
                                   const HfCheckpoint& checkpoint,
                                   const std::filesystem::path& cache_root, std::ostream* log,
                                   const std::optional<TensorFormat>& quant);

// InputError unless a store's weight quantization (its manifest's "none", "w4g64") holds the
// bits `quant` asks for.
void check_store_quant(const std::filesystem::path& store, const std::string& store_quant,
                       const std::optional<TensorFormat>& quant);

}  // namespace strata
