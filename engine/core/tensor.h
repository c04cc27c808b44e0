// Tensor: a non-owning, row-major view (dtype, shape, place, pointer). Memory is owned by a
// Buffer (offload/aligned_buffer.h) or an arena carved into many tensors; a Tensor never frees.
// A packed quantized tensor (q4/q8, quant/format.h kCols) keeps its logical shape and its group
// size; groups run along its last dimension, so its bytes are (numel / last dim) packed rows of
// format_row_bytes(last dim) each, and rows(begin, end) of the leading dimension stays a view.
// A weight is a packed [out, in] matrix; a compressed KV cache is [batch, slots, heads, head_dim].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "common/error.h"
#include "engine/core/dtype.h"

namespace strata {

// Where the bytes live. On the CPU backend "device" is a budgeted RAM arena.
enum class Place : uint8_t { device, host, disk };

class Tensor {
 public:
  static constexpr int kMaxDims = 4;

  Tensor() = default;
  Tensor(void* data, DType dtype, std::initializer_list<int64_t> shape, Place place = Place::host)
      : data_(data), dtype_(dtype), place_(place) {
    STRATA_CHECK(shape.size() <= kMaxDims, "tensor rank ", shape.size(), " > ", kMaxDims);
    for (int64_t d : shape) dims_[rank_++] = d;
  }
  // A view of a packed quantized matrix [rows, cols]: `format` is q4 or q8 with its group size.
  static Tensor packed(void* data, const TensorFormat& format, int64_t rows, int64_t cols,
                       Place place = Place::host) {
    return packed(data, format, {rows, cols}, place);
  }
  // A packed tensor of rank 2..4, quantized along its last dimension.
  static Tensor packed(void* data, const TensorFormat& format, std::initializer_list<int64_t> shape,
                       Place place = Place::host) {
    STRATA_CHECK(is_quantized(format.dtype), "Tensor::packed with dtype ",
                 dtype_name(format.dtype));
    STRATA_CHECK(shape.size() >= 2, "a packed tensor needs rank 2 or more, got ", shape.size());
    Tensor t(data, format.dtype, shape, place);
    t.group_size_ = format.group_size;
    format_row_bytes(format, t.dim(-1));  // checks the group size
    return t;
  }

  template <typename T = void>
  T* data() const { return static_cast<T*>(data_); }
  DType dtype() const { return dtype_; }
  TensorFormat format() const { return TensorFormat(dtype_, group_size_); }
  int32_t group_size() const { return group_size_; }  // q4/q8 only
  Place place() const { return place_; }
  int rank() const { return rank_; }
  int64_t dim(int i) const { return dims_[i < 0 ? rank_ + i : i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  size_t nbytes() const {
    if (is_quantized(dtype_)) return size_t(dims_[0]) * row_bytes();
    return size_t(numel()) * dtype_size(dtype_);
  }
  bool empty() const { return data_ == nullptr; }

  // Rows [begin, end) of the leading dimension, as a view.
  Tensor rows(int64_t begin, int64_t end) const {
    STRATA_CHECK(begin >= 0 && begin <= end && end <= dims_[0], "rows [", begin, ", ", end,
                 ") of ", shape_string());
    Tensor t = *this;
    t.dims_[0] = end - begin;
    t.data_ = static_cast<char*>(data_) + size_t(begin) * row_bytes();
    return t;
  }
  // The same bytes under another shape with the same element count.
  Tensor reshaped(std::initializer_list<int64_t> shape) const {
    STRATA_CHECK(!is_quantized(dtype_), "reshape of a packed ", shape_string());
    Tensor t(data_, dtype_, shape, place_);
    STRATA_CHECK(t.numel() == numel(), "reshape ", shape_string(), " -> ", t.shape_string());
    return t;
  }
  // Bytes of one index of the leading dimension.
  size_t row_bytes() const {
    if (is_quantized(dtype_)) {
      size_t packed_rows = 1;  // packed rows of the last dimension in one leading index
      for (int i = 1; i + 1 < rank_; ++i) packed_rows *= size_t(dims_[i]);
      return packed_rows * format_row_bytes(format(), dims_[rank_ - 1]);
    }
    return rank_ == 0 ? 0 : nbytes() / size_t(dims_[0] ? dims_[0] : 1);
  }

  std::string shape_string() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "] " + format_name(format());
  }

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::f32;
  Place place_ = Place::host;
  int rank_ = 0;
  int32_t group_size_ = 0;  // q4/q8: elements per quantization group
  std::array<int64_t, kMaxDims> dims_{};
};

}  // namespace strata
