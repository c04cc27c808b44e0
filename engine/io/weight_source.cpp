#include "engine/io/weight_source.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

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
  // Every read is checked. A whole tensor against its manifest CRC32C (SSE4.2: several GB/s,
  // cheap next to the disk; docs/benchmarks.md section 7). A row range of a tensor split over
  // tiers has no checksum in the manifest: the first such read goes through the whole tensor
  // once, checks it against the manifest and keeps the running checksum at every row boundary;
  // any row range read afterwards (each step, for disk-resident rows) is checked against the
  // checksum those verified bytes give it (crc32c_of_slice).
  void read(const std::string& name, uint64_t begin, uint64_t length, void* dst) override {
    const StoreTensor& t = store_.require(name);
    if (begin == 0 && length == t.length) {
      store_.read_into(t, begin, length, dst);
      check_crc(t, t.crc32c, crc32c(dst, size_t(length)), "");
      return;
    }
    auto prefixes = row_prefix_crcs_.find(name);
    if (prefixes == row_prefix_crcs_.end()) {
      // Verified bytes straight into dst on the way: the first read costs one pass.
      prefixes = row_prefix_crcs_.emplace(name, verify_whole(t, begin, length,
                                                             static_cast<char*>(dst))).first;
      return;
    }
    const RowPrefixCrcs& p = prefixes->second;
    if (begin % p.row_bytes != 0 || length % p.row_bytes != 0) {
      verify_whole(t, begin, length, static_cast<char*>(dst));  // not a row range: a full pass
      return;
    }
    store_.read_into(t, begin, length, dst);
    check_rows(t, p, begin, length, static_cast<const char*>(dst));
  }
  // After the tensor's first read (which verifies it whole), row ranges go out as one batch and
  // each is checked as read() checks one.
  void read_ranges(const std::string& name, std::span<const WeightStore::Range> ranges,
                   char* dst) override {
    // One range goes through read(): a whole tensor is checked against the manifest, and the
    // first row range of a tensor verifies it whole.
    if (ranges.size() == 1 || (!ranges.empty() && row_prefix_crcs_.count(name) == 0)) {
      read(name, ranges[0].begin, ranges[0].length, dst + ranges[0].begin);
      ranges = ranges.subspan(1);
    }
    if (ranges.empty()) return;
    const auto prefixes = row_prefix_crcs_.find(name);
    const bool rows = std::all_of(ranges.begin(), ranges.end(), [&](const WeightStore::Range& r) {
      return prefixes != row_prefix_crcs_.end() && r.begin % prefixes->second.row_bytes == 0 &&
             r.length % prefixes->second.row_bytes == 0;
    });
    if (!rows) {
      WeightSource::read_ranges(name, ranges, dst);
      return;
    }
    const StoreTensor& t = store_.require(name);
    store_.read_ranges_into(t, ranges, dst);
    for (const WeightStore::Range& r : ranges) {
      check_rows(t, prefixes->second, r.begin, r.length, dst + r.begin);
    }
  }
  bool serves_disk_rows() const override { return true; }
  const std::filesystem::path& dir() const override { return store_.dir(); }

 private:
  // crcs[r]: CRC32C of the tensor's first r rows.
  struct RowPrefixCrcs {
    uint64_t row_bytes = 1;
    std::vector<uint32_t> crcs;
  };

  // Reads the whole tensor in slices (bounded memory), checks it against the manifest, copies
  // [begin, begin + length) into dst on the way and returns the checksum at every row boundary.
  RowPrefixCrcs verify_whole(const StoreTensor& t, uint64_t begin, uint64_t length, char* dst) {
    RowPrefixCrcs p;
    const uint64_t rows = t.shape.empty() || t.shape[0] <= 0 ? 1 : uint64_t(t.shape[0]);
    p.row_bytes = t.length % rows == 0 && t.length > 0 ? t.length / rows : t.length + 1;
    p.crcs.reserve(size_t(t.length / p.row_bytes) + 1);
    p.crcs.push_back(0);
    if (slice_.size() == 0) slice_ = AlignedBuffer(size_t(kSliceBytes));
    uint32_t crc = 0;
    for (uint64_t at = 0; at < t.length;) {
      const uint64_t n = std::min<uint64_t>(kSliceBytes, t.length - at);
      store_.read_into(t, at, n, slice_.data<char>());
      const uint64_t lo = std::max(at, begin), hi = std::min(at + n, begin + length);
      if (lo < hi) std::memcpy(dst + (lo - begin), slice_.data<char>() + (lo - at), size_t(hi - lo));
      // Extend the checksum up to each row boundary inside this slice, then to its end.
      uint64_t pos = at;
      for (uint64_t edge = (at / p.row_bytes + 1) * p.row_bytes; edge <= at + n;
           edge += p.row_bytes) {
        crc = crc32c(slice_.data<char>() + (pos - at), size_t(edge - pos), crc);
        p.crcs.push_back(crc);
        pos = edge;
      }
      crc = crc32c(slice_.data<char>() + (pos - at), size_t(at + n - pos), crc);
      at += n;
    }
    check_crc(t, t.crc32c, crc, "");
    return p;
  }

  // Rows [begin, begin + length) as read into `data`, against the checksums verified bytes gave.
  void check_rows(const StoreTensor& t, const RowPrefixCrcs& p, uint64_t begin, uint64_t length,
                  const char* data) const {
    const size_t a = size_t(begin / p.row_bytes), b = size_t((begin + length) / p.row_bytes);
    check_crc(t, crc32c_of_slice(p.crcs[a], p.crcs[b], length), crc32c(data, size_t(length)),
              str_cat(" (rows ", a, " to ", b, ", changed since this run verified them)"));
  }

  void check_crc(const StoreTensor& t, uint32_t expected, uint32_t got,
                 const std::string& which) const {
    if (got == expected) return;
    throw Error(str_cat(store_.path_of(t.file).string(), ": tensor ", t.name, which,
                        ": checksum mismatch on read (expected ", crc_hex(expected), ", data ",
                        crc_hex(got), "); the store is damaged: run strata convert --verify, "
                        "then convert the model again"));
  }

  static constexpr uint64_t kSliceBytes = 16u << 20;
  WeightStore store_;
  // Tensors read in row ranges, by name. One reader thread (the executor's disk thread), like
  // the store itself.
  std::map<std::string, RowPrefixCrcs> row_prefix_crcs_;
  // 4096-aligned, as the tensor's offset in its file is: the reads go straight in, unbounced.
  AlignedBuffer slice_;
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

void WeightSource::read_ranges(const std::string& name,
                               std::span<const WeightStore::Range> ranges, char* dst) {
  for (const WeightStore::Range& r : ranges) read(name, r.begin, r.length, dst + r.begin);
}

std::unique_ptr<WeightSource> store_source(WeightStore store) {
  return std::make_unique<StoreSource>(std::move(store));
}

std::unique_ptr<WeightSource> checkpoint_source(std::shared_ptr<const HfCheckpoint> checkpoint) {
  return std::make_unique<CheckpointSource>(std::move(checkpoint));
}

}  // namespace strata
