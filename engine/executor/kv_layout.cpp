#include "engine/executor/kv_layout.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "offload/aligned_buffer.h"

namespace strata {

KvLayout::KvLayout(int64_t layers, const KvFormat& format, int64_t slots_needed,
                   std::vector<int64_t> batches, const Placement& shares)
    : layers_(layers), format_(format), batches_(std::move(batches)) {
  STRATA_CHECK(format.hidden() > 0 && slots_needed > 0, "KV cache of ", slots_needed, " slots x ",
               format.hidden());
  // One sequence's K is its slots' rows rounded up to whole 4096-byte blocks (a packed row need
  // not divide 4096, so the sequence, not the slot count, is what gets padded); the padding
  // holds as many extra slots as fit.
  seq_bytes_ = AlignedBuffer::round_up(size_t(slots_needed) * row_bytes());
  slots_ = int64_t(seq_bytes_ / row_bytes());

  const int64_t total = std::accumulate(batches_.begin(), batches_.end(), int64_t(0));
  const int64_t device_end = std::llround(double(total) * shares.device);
  const int64_t host_end = std::max(device_end, std::min<int64_t>(
      total, std::llround(double(total) * (shares.device + shares.host))));
  int64_t start = 0;
  for (int64_t n : batches_) {
    const auto clip = [&](int64_t lo, int64_t hi) {
      const int64_t a = std::clamp(lo, start, start + n), b = std::clamp(hi, start, start + n);
      return KvRows{a - start, b - a};
    };
    std::array<KvRows, 3> r{clip(0, device_end), clip(device_end, host_end), clip(host_end, total)};
    std::array<size_t, 3> offsets{};
    for (Place p : {Place::device, Place::host, Place::disk}) {
      offsets[size_t(p)] = per_layer_[size_t(p)];
      per_layer_[size_t(p)] += 2 * size_t(r[size_t(p)].count) * seq_bytes();
    }
    work_bytes_ = std::max(work_bytes_, 2 * size_t(r[1].count + r[2].count) * seq_bytes());
    staging_bytes_ = std::max(staging_bytes_, 2 * size_t(r[2].count) * seq_bytes());
    rows_.push_back(r);
    offset_in_layer_.push_back(offsets);
    start += n;
  }
}

Place KvLayout::place_of(int64_t k, int64_t row) const {
  for (Place p : {Place::device, Place::host, Place::disk}) {
    if (rows(k, p).contains(row)) return p;
  }
  STRATA_CHECK(false, "row ", row, " outside micro-batch ", k, " of ", batch(k));
}

size_t KvLayout::region_offset(int64_t j, int64_t k, Place p) const {
  // Device and host homes hold every layer back to back; each layer's disk file starts at 0.
  const size_t layer_base = p == Place::disk ? 0 : size_t(j) * per_layer_[size_t(p)];
  return layer_base + offset_in_layer_[size_t(k)][size_t(p)];
}

}  // namespace strata
