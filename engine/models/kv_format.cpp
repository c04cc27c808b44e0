#include "engine/models/kv_format.h"

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "engine/core/half.h"
#include "engine/core/quantize_matrix.h"
#include "quant/reference.h"

namespace strata {

size_t KvFormat::slot_bytes() const {
  return size_t(heads) * format_row_bytes(element, head_dim);
}

int32_t kv_group_size(int64_t head_dim) {
  STRATA_CHECK(head_dim > 0, "head_dim ", head_dim);
  constexpr int64_t kMaxGroup = 64;  // FlexGen's group size
  const int64_t groups = (head_dim + kMaxGroup - 1) / kMaxGroup;
  const int64_t even = (head_dim + groups - 1) / groups;
  return int32_t((even + 7) / 8 * 8);
}

KvFormat kv_format(DType cache_dtype, int64_t heads, int64_t head_dim) {
  STRATA_CHECK(heads > 0 && head_dim > 0, "KV cache of ", heads, " heads x ", head_dim);
  KvFormat f;
  f.heads = heads;
  f.head_dim = head_dim;
  switch (cache_dtype) {
    case DType::f32:
    case DType::f16:
    case DType::bf16:
      f.element = TensorFormat(cache_dtype);
      return f;
    case DType::q4:
    case DType::q8:
      f.element = TensorFormat(cache_dtype, kv_group_size(head_dim));
      return f;
    case DType::i32: break;
  }
  fail_input("a KV cache of ", dtype_name(cache_dtype),
             " is not supported (f32, f16, bf16, q4 or q8)");
}

std::string kv_format_name(const KvFormat& f) { return format_name(f.element); }

void store_kv_rows(const KvFormat& f, const float* x, int64_t tokens, void* dst) {
  const int64_t n = tokens * f.hidden();
  switch (f.element.dtype) {
    case DType::f32:
      std::memcpy(dst, x, size_t(n) * sizeof(float));
      return;
    case DType::f16:
    case DType::bf16:
      round_to_half(x, n, f.element.dtype == DType::bf16, static_cast<uint16_t*>(dst));
      return;
    default: break;
  }
  // Each token's row is `heads` consecutive rows of head_dim values: one packed matrix of
  // tokens * heads rows, whose kCols rows are quantized independently.
  try {
    quant::quantize_ref(quant_format_of(f.element), x, tokens * f.heads, f.head_dim,
                        static_cast<uint8_t*>(dst));
  } catch (const Error&) {
    for (int64_t i = 0; i < tokens * f.hidden(); ++i) {
      STRATA_CHECK(std::isfinite(x[i]), "KV cache: token ", i / f.hidden(), ", head ",
                   i % f.hidden() / f.head_dim, " holds ", x[i], "; a ",
                   kv_format_name(f), " cache cannot store NaN or infinity");
    }
    throw;
  }
}

Tensor kv_view(const KvFormat& f, void* data, int64_t batch, int64_t slots, Place place) {
  if (!f.packed()) return Tensor(data, f.element.dtype, {batch, slots, f.hidden()}, place);
  return Tensor::packed(data, f.element, {batch, slots, f.heads, f.head_dim}, place);
}

Tensor kv_rows_view(const KvFormat& f, void* dst, int64_t tokens, Place place) {
  if (!f.packed()) return Tensor(dst, f.element.dtype, {tokens * f.heads, f.head_dim}, place);
  return Tensor::packed(dst, f.element, tokens * f.heads, f.head_dim, place);
}

}  // namespace strata
