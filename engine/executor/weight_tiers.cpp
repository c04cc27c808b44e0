#include "engine/executor/weight_tiers.h"

#include <algorithm>

#include "common/error.h"

namespace strata {

DTypeOf WeightTiers::source_formats(const WeightSource& source) {
  return [&source](const std::string& name) { return source.format(name); };
}

WeightTiers::WeightTiers(std::unique_ptr<WeightSource> source, const TensorTable& table,
                         const Placement& shares, TierMemory& memory)
    : source_(std::move(source)), device_(memory.device()),
      layout_(layout_weights(table, source_formats(*source_), shares)) {
  for (const WeightTensorLayout& t : layout_.tensors) {
    source_->check(table.tensors[t.table_index], t.format, t.bytes());
  }
  STRATA_CHECK_INPUT(layout_.disk_bytes == 0 || source_->serves_disk_rows(), source_->dir().string(),
                     ": weights placed on disk are read from a converted store, not from a "
                     "checkpoint");
  device_home_ = memory.allocate(Place::device, MemoryUse::weights, layout_.device_home_bytes);
  host_home_ = memory.allocate(Place::host, MemoryUse::weights, layout_.host_home_bytes);
  memory.count(Place::disk, MemoryUse::weights, layout_.disk_bytes);
  for (int slot = 0; slot < kSlots; ++slot) {
    work_[size_t(slot)] = memory.allocate(Place::device, MemoryUse::buffers, layout_.work_bytes);
    staging_[size_t(slot)] = memory.allocate(Place::host, MemoryUse::buffers, layout_.staging_bytes);
  }
  MemoryBlock bounce;  // one host buffer for every device row read (pinning costs on CUDA)
  for (const WeightTensorLayout& t : layout_.tensors) {
    const uint64_t host_begin = uint64_t(t.split.disk) * t.row_bytes;
    const uint64_t device_begin = host_begin + uint64_t(t.split.host) * t.row_bytes;
    if (t.split.host > 0) {
      source_->read(t.name, host_begin, uint64_t(t.split.host) * t.row_bytes,
                    host_home_.data<char>() + t.host_offset);
    }
    if (t.split.device > 0) {
      read_to_device(t.name, device_begin, uint64_t(t.split.device) * t.row_bytes, t.row_bytes,
                     device_home_.data<char>() + t.device_offset, bounce);
    }
  }
}

void WeightTiers::read_to_device(const std::string& name, uint64_t begin, uint64_t length,
                                 uint64_t row_bytes, char* device, MemoryBlock& bounce) {
  if (device_.host_addressable()) {
    source_->read(name, begin, length, device);
    return;
  }
  // Through a host bounce buffer a piece at a time, made once: no device tensor is longer than
  // the device home. Pieces are whole rows, so the store checks each against the checksums of
  // the tensor's rows (engine/io/weight_source.cpp) instead of re-reading the tensor.
  constexpr uint64_t kMaxPiece = uint64_t(64) << 20;
  const uint64_t piece = std::max<uint64_t>(1, kMaxPiece / row_bytes) * row_bytes;
  if (bounce.data() == nullptr) {
    uint64_t widest_row = 0;
    for (const WeightTensorLayout& t : layout_.tensors) {
      widest_row = std::max(widest_row, t.row_bytes);
    }
    bounce = device_.allocate_host(
        size_t(std::min<uint64_t>(layout_.device_home_bytes, std::max(kMaxPiece, widest_row))));
  }
  for (uint64_t done = 0; done < length; done += piece) {
    const uint64_t n = std::min(piece, length - done);
    source_->read(name, begin + done, n, bounce.data<char>());
    device_.copy(CopyQueue::load, device + done, bounce.data(), size_t(n));
    device_.finish(CopyQueue::load);
  }
}

namespace {

// The rows of stage tensor i that a load moves.
std::vector<RowRange> ranges_of(const StageRanges* ranges, size_t i, int64_t rows) {
  return ranges != nullptr ? (*ranges)[i] : std::vector<RowRange>{{0, rows}};
}

// Rows [begin, end) clipped to [lo, hi); empty when they miss it.
RowRange clip(const RowRange& r, int64_t lo, int64_t hi) {
  return {std::max(r.begin, lo), std::min(r.end, hi)};
}

}  // namespace

uint64_t WeightTiers::read_disk_rows(int64_t stage, int slot, const StageRanges* ranges) {
  char* staging = staging_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    if (t.split.disk == 0) continue;
    std::vector<WeightStore::Range> reads;
    for (const RowRange& range : ranges_of(ranges, i, t.rows())) {
      const RowRange r = clip(range, 0, t.split.disk);
      if (r.begin >= r.end) continue;
      reads.push_back({uint64_t(r.begin) * t.row_bytes, uint64_t(r.end - r.begin) * t.row_bytes});
      bytes += reads.back().length;
    }
    // Each range lands at its own place: the tensor's disk rows start its staging slot.
    source_->read_ranges(t.name, reads, staging + s.staging_offsets[i]);
  }
  return bytes;
}

uint64_t WeightTiers::assemble(int64_t stage, int slot, const StageRanges* ranges) {
  const char* staging = staging_[size_t(slot)].data<char>();
  char* work = work_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    char* dst = work + s.work_offsets[i];
    const int64_t disk = t.split.disk, host = disk + t.split.host;
    // Rows in file order [disk | host | device], each from its tier's copy to its own place.
    const auto move = [&](const RowRange& r, const char* tier, int64_t tier_first) {
      if (r.begin >= r.end) return;
      const size_t n = size_t(r.end - r.begin) * t.row_bytes;
      device_.copy(CopyQueue::load, dst + size_t(r.begin) * t.row_bytes,
                   tier + size_t(r.begin - tier_first) * t.row_bytes, n);
      bytes += n;
    };
    for (const RowRange& r : ranges_of(ranges, i, t.rows())) {
      move(clip(r, 0, disk), staging + s.staging_offsets[i], 0);
      move(clip(r, disk, host), host_home_.data<char>() + t.host_offset, disk);
      // Device rows move device→device into the arena so a matrix is one contiguous operand:
      // split GEMMs would not be bitwise identical to the all-in-memory path.
      move(clip(r, host, t.rows()), device_home_.data<char>() + t.device_offset, host);
    }
  }
  device_.finish(CopyQueue::load);
  return bytes;
}

Tensor WeightTiers::view(const WeightTensorLayout& t, char* bytes) const {
  if (is_quantized(t.format.dtype)) {
    return Tensor::packed(bytes, t.format, t.shape[0], t.shape[1], Place::device);
  }
  const DType d = t.format.dtype;
  return t.shape.size() == 2 ? Tensor(bytes, d, {t.shape[0], t.shape[1]}, Place::device)
                             : Tensor(bytes, d, {t.shape[0]}, Place::device);
}

StageWeights WeightTiers::stage_weights(int64_t stage, int slot) const {
  char* work = work_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  StageWeights w;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    char* bytes = s.device_resident ? device_home_.data<char>() + t.device_offset
                                    : work + s.work_offsets[i];
    w.set(s.roles[i], view(t, bytes));
  }
  return w;
}

}  // namespace strata
