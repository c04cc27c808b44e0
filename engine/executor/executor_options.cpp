#include "engine/executor/executor_options.h"

#include "common/error.h"

namespace strata {

void validate_for_executor(const Policy& p) {
  validate(p);
  // Hidden states are tiny next to weights and cache; streaming them through disk every layer
  // never pays off, so the executor keeps them on device or host only.
  STRATA_CHECK_INPUT(p.activations.disk <= 1e-9, "policy: activations on disk (",
                     p.activations.disk * 100, "%) are not supported; put them on device or host "
                     "(A_DEV + A_HOST = 100)");
}

namespace {

DType quantized_dtype(Compression compression) {
  switch (compression) {
    case Compression::kQ4: return DType::q4;
    case Compression::kQ8: return DType::q8;
    case Compression::kNone: break;
  }
  fail_input("compression ", static_cast<int>(compression), " is not q4 or q8");
}

}  // namespace

DType dense_cache_dtype(CacheDType dtype) {
  switch (dtype) {
    case CacheDType::kF16: return DType::f16;
    case CacheDType::kBF16: return DType::bf16;
    case CacheDType::kF32: return DType::f32;
  }
  fail_input("unknown KV cache dtype ", static_cast<int>(dtype));
}

DType cache_dtype_of(const Policy& policy) {
  if (policy.compress_cache == Compression::kNone) return dense_cache_dtype(policy.cache_dtype);
  return quantized_dtype(policy.compress_cache);
}

std::optional<TensorFormat> weight_format_of(Compression compression) {
  if (compression == Compression::kNone) return std::nullopt;
  return TensorFormat(quantized_dtype(compression), 64);  // FlexGen's group size
}

}  // namespace strata
