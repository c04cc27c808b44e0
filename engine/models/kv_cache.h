// KvCache: keys and values of one micro-batch for every layer, all-in-memory, in a KvFormat
// (f16, bf16, fp32, or q4/q8 compressed along head_dim: engine/models/kv_format.h).
// Layout per layer: k and v are [batch, slots] rows of format.slot_bytes() bytes, row-major,
// slot = padded sequence index, so appending T new positions of sequence b writes T contiguous
// rows. The buffer is sized for the initial batch; keep_sequences() compacts it when sequences
// finish.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "common/error.h"
#include "engine/core/tensor.h"
#include "engine/models/kv_format.h"
#include "offload/aligned_buffer.h"

namespace strata {

class KvCache {
 public:
  KvCache(int64_t layers, int64_t batch, int64_t slots, const KvFormat& format)
      : layers_(layers), capacity_(batch), batch_(batch), slots_(slots), format_(format),
        buffer_(size_t(layers * 2 * batch * slots) * format.slot_bytes()) {}

  // [batch, slots, hidden] f16/bf16/f32, or packed [batch, slots, heads, head_dim].
  Tensor keys(int64_t layer) const { return kv_view(format_, base(layer, 0), batch_, slots_); }
  Tensor values(int64_t layer) const { return kv_view(format_, base(layer, 1), batch_, slots_); }
  // Where slot s of sequence b starts in a layer's keys (which = 0) or values (which = 1).
  char* slot(int64_t layer, int which, int64_t b, int64_t s) const {
    return base(layer, which) + size_t(b * slots_ + s) * format_.slot_bytes();
  }
  const KvFormat& format() const { return format_; }
  int64_t batch() const { return batch_; }
  int64_t slots() const { return slots_; }

  // Keeps only the sequences at the given (ascending) batch indices, in that order.
  void keep_sequences(std::span<const int64_t> keep) {
    const size_t block = size_t(slots_) * format_.slot_bytes();
    for (size_t i = 0; i < keep.size(); ++i) {
      STRATA_CHECK(keep[i] >= int64_t(i) && keep[i] < batch_ && (i == 0 || keep[i] > keep[i - 1]),
                   "keep_sequences needs ascending indices below ", batch_);
    }
    for (int64_t layer = 0; layer < layers_; ++layer) {
      for (int which = 0; which < 2; ++which) {
        char* b = base(layer, which);
        for (size_t i = 0; i < keep.size(); ++i) {
          if (keep[i] == int64_t(i)) continue;
          std::memmove(b + i * block, b + size_t(keep[i]) * block, block);
        }
      }
    }
    batch_ = int64_t(keep.size());
  }

 private:
  char* base(int64_t layer, int which) const {
    return buffer_.data<char>() +
           size_t((layer * 2 + which) * capacity_ * slots_) * format_.slot_bytes();
  }

  int64_t layers_, capacity_, batch_, slots_;
  KvFormat format_;
  AlignedBuffer buffer_;
};

}  // namespace strata
