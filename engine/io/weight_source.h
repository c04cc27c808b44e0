// WeightSource: where the executor reads a model's weights from — a converted store
// (docs/store.md: 4096-aligned tensors, so the disk-resident rows of a stage are O_DIRECT reads
// every time it runs), or the Hugging Face checkpoint itself when no row lives on disk and
// nothing is quantized (every row is read once into its device or host home, no conversion).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "engine/core/dtype.h"
#include "engine/models/tensor_table.h"
#include "offload/weight_store.h"

namespace strata {

class HfCheckpoint;

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // The tensor's stored format; InputError naming the source when it cannot be computed with.
  virtual TensorFormat format(const std::string& name) const = 0;
  // InputError unless the source holds `t` with its table shape in `format` (`bytes` long).
  virtual void check(const TensorSpec& t, const TensorFormat& format, uint64_t bytes) const = 0;
  // Bytes [begin, begin + length) of a tensor (a row range) into host memory.
  virtual void read(const std::string& name, uint64_t begin, uint64_t length, void* dst) = 0;
  // Row ranges of a tensor, each into dst + its begin: a store reads them as one batch.
  virtual void read_ranges(const std::string& name, std::span<const WeightStore::Range> ranges,
                           char* dst);
  // Whether rows may stay on disk and be read each time their stage runs (a store).
  virtual bool serves_disk_rows() const = 0;
  virtual const std::filesystem::path& dir() const = 0;
};

std::unique_ptr<WeightSource> store_source(WeightStore store);
std::unique_ptr<WeightSource> checkpoint_source(std::shared_ptr<const HfCheckpoint> checkpoint);

}  // namespace strata
