// KvCache: keys and values of one micro-batch for every layer, fp32, all-in-memory.
// Layout per layer: k and v are [batch, slots, hidden] row-major, slot = padded sequence index,
// so appending T new positions of sequence b writes T contiguous rows. The buffer is sized for
// the initial batch; keep_sequences() compacts it when sequences finish.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "common/error.h"
#include "engine/core/tensor.h"
#include "offload/aligned_buffer.h"

namespace strata {

class KvCache {
 public:
  KvCache(int64_t layers, int64_t batch, int64_t slots, int64_t hidden)
      : layers_(layers), capacity_(batch), batch_(batch), slots_(slots), hidden_(hidden),
        buffer_(size_t(layers * 2 * batch * slots * hidden) * sizeof(float)) {}

  Tensor keys(int64_t layer) const { return view(layer, 0); }
  Tensor values(int64_t layer) const { return view(layer, 1); }
  int64_t batch() const { return batch_; }
  int64_t slots() const { return slots_; }

  // Keeps only the sequences at the given (ascending) batch indices, in that order.
  void keep_sequences(std::span<const int64_t> keep) {
    const size_t block = size_t(slots_ * hidden_);
    for (size_t i = 0; i < keep.size(); ++i) {
      STRATA_CHECK(keep[i] >= int64_t(i) && keep[i] < batch_ && (i == 0 || keep[i] > keep[i - 1]),
                   "keep_sequences needs ascending indices below ", batch_);
    }
    for (int64_t layer = 0; layer < layers_; ++layer) {
      for (int64_t which = 0; which < 2; ++which) {
        float* base = view(layer, which).data<float>();
        for (size_t i = 0; i < keep.size(); ++i) {
          if (keep[i] != int64_t(i)) {
            std::memmove(base + i * block, base + size_t(keep[i]) * block, block * sizeof(float));
          }
        }
      }
    }
    batch_ = int64_t(keep.size());
  }

 private:
  Tensor view(int64_t layer, int64_t which) const {
    float* base = buffer_.data<float>() + (layer * 2 + which) * capacity_ * slots_ * hidden_;
    return Tensor(base, DType::f32, {batch_, slots_, hidden_});
  }

  int64_t layers_, capacity_, batch_, slots_, hidden_;
  AlignedBuffer buffer_;
};

}  // namespace strata
