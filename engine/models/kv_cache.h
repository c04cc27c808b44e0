// KvCache: keys and values of one micro-batch for every layer, fp32, all-in-memory.
// Layout per layer: k and v are [batch, slots, hidden] row-major, slot = padded sequence index,
// so appending T new positions of sequence b writes T contiguous rows.
#pragma once

#include <cstdint>

#include "engine/core/tensor.h"
#include "offload/aligned_buffer.h"

namespace strata {

class KvCache {
 public:
  KvCache(int64_t layers, int64_t batch, int64_t slots, int64_t hidden)
      : layers_(layers), batch_(batch), slots_(slots), hidden_(hidden),
        buffer_(size_t(layers * 2 * batch * slots * hidden) * sizeof(float)) {}

  Tensor keys(int64_t layer) const { return view(layer, 0); }
  Tensor values(int64_t layer) const { return view(layer, 1); }
  int64_t batch() const { return batch_; }
  int64_t slots() const { return slots_; }

 private:
  Tensor view(int64_t layer, int64_t which) const {
    float* base = buffer_.data<float>() + (layer * 2 + which) * batch_ * slots_ * hidden_;
    return Tensor(base, DType::f32, {batch_, slots_, hidden_});
  }

  int64_t layers_, batch_, slots_, hidden_;
  AlignedBuffer buffer_;
};

}  // namespace strata
