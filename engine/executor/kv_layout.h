// KvLayout: where the KV cache of a block lives. Per (layer j, micro-batch k) the sequences of k
// are split by tier — [device rows | host rows | disk rows], from rounded cumulative boundaries
// over the whole block so the realised fractions match the policy to within one sequence — and
// each tier's part is one contiguous region: K [n, seq] then V [n, seq], where one sequence's
// K (or V) is `slots` rows of the KvFormat's slot_bytes() (f16/bf16/f32 [hidden], or a q4/q8 row packed
// along head_dim), padded to seq_bytes(), a multiple of 4096: every disk transfer of a
// sequence's rows is then 4096-aligned (O_DIRECT), a compressed cache moves its packed bytes on
// every path, and a staged disk region has the very layout attention reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/executor/executor_options.h"
#include "engine/models/kv_format.h"

namespace strata {

struct KvRows {
  int64_t first = 0;  // first physical row of the micro-batch on this tier
  int64_t count = 0;
  bool contains(int64_t row) const { return row >= first && row < first + count; }
};

class KvLayout {
 public:
  // `batches`: sequences of each micro-batch; `slots_needed`: the longest prompt plus the most
  // generated tokens of any sequence of the block, minus one.
  KvLayout(int64_t layers, const KvFormat& format, int64_t slots_needed,
           std::vector<int64_t> batches, const Placement& shares);

  int64_t layers() const { return layers_; }
  const KvFormat& format() const { return format_; }
  int64_t hidden() const { return format_.hidden(); }
  // Slots per sequence: as many as fit in seq_bytes() (at least slots_needed).
  int64_t slots() const { return slots_; }
  int64_t micro_batches() const { return int64_t(batches_.size()); }
  int64_t batch(int64_t k) const { return batches_[size_t(k)]; }
  const KvRows& rows(int64_t k, Place p) const { return rows_[size_t(k)][size_t(p)]; }
  Place place_of(int64_t k, int64_t row) const;

  size_t row_bytes() const { return format_.slot_bytes(); }  // one slot of one sequence's K
  size_t seq_bytes() const { return seq_bytes_; }             // one sequence's K, 4096-aligned
  size_t region_bytes(int64_t k, Place p) const {
    return 2 * size_t(rows(k, p).count) * seq_bytes();
  }
  // Offset of region (j, k, p) in its tier's home (device / host arena, or the layer's file).
  size_t region_offset(int64_t j, int64_t k, Place p) const;
  size_t tier_bytes(Place p) const { return size_t(layers_) * per_layer_[size_t(p)]; }
  size_t per_layer_bytes(Place p) const { return per_layer_[size_t(p)]; }
  // A device working region for the host and disk rows of any micro-batch, and a host staging
  // region for the disk rows of any micro-batch.
  size_t work_bytes() const { return work_bytes_; }
  size_t staging_bytes() const { return staging_bytes_; }

 private:
  int64_t layers_;
  KvFormat format_;
  int64_t slots_ = 0;
  size_t seq_bytes_ = 0;
  std::vector<int64_t> batches_;
  std::vector<std::array<KvRows, 3>> rows_;             // [k][place]
  std::vector<std::array<size_t, 3>> offset_in_layer_;  // [k][place]
  std::array<size_t, 3> per_layer_{};
  size_t work_bytes_ = 0, staging_bytes_ = 0;
};

}  // namespace strata
