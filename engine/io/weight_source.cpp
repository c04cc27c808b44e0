#include "engine/io/weight_source.h"

#include "common/error.h"
#include "engine/io/hf_checkpoint.h"

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
    store_.read_into(store_.require(name), begin, length, dst);
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
