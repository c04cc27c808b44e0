#include "engine/io/weight_source.h"

#include "common/error.h"
#include "engine/io/hf_checkpoint.h"
#include "offload/crc32c.h"
#include "offload/store_manifest.h"

namespace strata {
namespace {

class StoreSource final : public WeightSource {
 public:
  explicit StoreSource(WeightStore store) : store_(std::move(store)) {}

  TensorFormat format(const std::string& name) const override {
    const StoreTensor& t = store_.require(name);
    const std::optional<TensorFormat> f = parse_tensor_format(t.dtype);
    STRATA_CHECK_INPUT(f.has_value(), "tensor ", t.name, ": store dtype ", t.dtype,
                       " is not supported by the executor (f32, f16, bf16, q4gN, q8gN)");
    STRATA_CHECK_INPUT(!is_quantized(f->dtype) || t.shape.size() == 2, "tensor ", t.name,
                       ": a quantized tensor must be a matrix, shape has ", t.shape.size(),
                       " dimensions");
    return *f;
  }
  void check(const TensorSpec& t, const TensorFormat&, uint64_t bytes) const override {
    const StoreTensor& stored = store_.require(t.name);
    STRATA_CHECK_INPUT(stored.shape == t.shape && stored.length == bytes, store_.dir().string(),
                       ": tensor ", t.name, " does not have the shape (or the byte length) "
                       "config.json and its dtype ", stored.dtype, " give");
  }
  void read(const std::string& name, uint64_t begin, uint64_t length, void* dst) override {
    const StoreTensor& t = store_.require(name);
    store_.read_into(t, begin, length, dst);
    // A whole tensor is checked against its manifest CRC32C on every read (SSE4.2: several
    // GB/s, cheap next to the disk; docs/benchmarks.md section 7). A row range of a tensor split
    // over tiers has no checksum of its own and is checked by `convert --verify` only.
    if (begin == 0 && length == t.length) {
      const uint32_t crc = crc32c(dst, size_t(length));
      if (crc != t.crc32c) {
        throw Error(str_cat(store_.path_of(t.file).string(), ": tensor ", t.name,
                            ": checksum mismatch on read (manifest ", crc_hex(t.crc32c),
                            ", data ", crc_hex(crc), "); the store is damaged: run strata "
                            "convert --verify, then convert the model again"));
      }
    }
  }
  bool serves_disk_rows() const override { return true; }
  const std::filesystem::path& dir() const override { return store_.dir(); }

 private:
  WeightStore store_;
};

class CheckpointSource final : public WeightSource {
 public:
  explicit CheckpointSource(std::shared_ptr<const HfCheckpoint> ckpt)
      : owner_(std::move(ckpt)), ckpt_(*owner_) {}

  TensorFormat format(const std::string& name) const override {
    const HfCheckpoint::Located& loc = ckpt_.require(name);
    STRATA_CHECK_INPUT(loc.entry->dtype.has_value() && *loc.entry->dtype != DType::i32,
                       loc.file->path().string(), ": tensor ", loc.stored_name,
                       ": dtype is not supported for weights (F32, F16 or BF16)");
    return *loc.entry->dtype;
  }
  void check(const TensorSpec& t, const TensorFormat&, uint64_t) const override {
    ckpt_.require_weight(t.name, t.shape);
  }
  void read(const std::string& name, uint64_t begin, uint64_t length, void* dst) override {
    ckpt_.read_range(ckpt_.require(name), begin, length, dst);
  }
  bool serves_disk_rows() const override { return false; }
  const std::filesystem::path& dir() const override { return ckpt_.dir(); }

 private:
  std::shared_ptr<const HfCheckpoint> owner_;
  const HfCheckpoint& ckpt_;
};

}  // namespace

std::unique_ptr<WeightSource> store_source(WeightStore store) {
  return std::make_unique<StoreSource>(std::move(store));
}

std::unique_ptr<WeightSource> checkpoint_source(std::shared_ptr<const HfCheckpoint> checkpoint) {
  return std::make_unique<CheckpointSource>(std::move(checkpoint));
}

}  // namespace strata
