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

DType cache_dtype_of(Compression compression) {
  switch (compression) {
    case Compression::kNone: return DType::f32;
    case Compression::kQ4: return DType::q4;
    case Compression::kQ8: return DType::q8;
  }
  fail_input("unknown compression ", static_cast<int>(compression));
}

std::optional<TensorFormat> weight_format_of(Compression compression) {
  if (compression == Compression::kNone) return std::nullopt;
  return TensorFormat(cache_dtype_of(compression), 64);  // FlexGen's group size
}

}  // namespace strata
