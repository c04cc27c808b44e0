// ExecutorOptions: what the offloading executor is told besides the model: the Policy
// (common/policy.h, the planner's own type, used as it is), the capacities it must fit, where
// disk-resident KV cache files go and where I/O warnings are said.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/policy.h"
#include "engine/core/dtype.h"
#include "offload/uring_file_options.h"

namespace strata {

// Usable bytes per tier; nullopt = no limit given.
struct TierCapacities {
  std::optional<uint64_t> device;
  std::optional<uint64_t> host;
  std::optional<uint64_t> disk;
};

// Rows of a streamed lookup table closer than this are read as one range (row_ranges.h): the
// rows between cost less than another request.
inline constexpr uint64_t kRowGapBytes = uint64_t(64) << 10;

struct ExecutorOptions {
  Policy policy;
  TierCapacities capacities;
  std::filesystem::path offload_dir;  // disk-resident KV cache files go in a folder made here
  WarningSink warn;                   // I/O fallback warnings (O_DIRECT refused on tmpfs, ...)
  int cpu_threads = 0;                // host compute (cpu_attention) threads; 0: every core
  // Rows of a streamed lookup table closer than this are moved as one range (row_ranges.h);
  // tests set 0 so that every gap between the rows a step reads stays unread.
  uint64_t row_gap_bytes = kRowGapBytes;
};

// validate(policy), and what this executor cannot do: activations homed on disk. InputError
// naming the field.
void validate_for_executor(const Policy& policy);

// The KV cache's elements on every tier: the policy's cache_dtype (f16, bf16, f32) when
// compress_cache is none, else FlexGen's compress_cache, q4/q8 quantized along head_dim
// (engine/models/kv_format.h).
DType cache_dtype_of(const Policy& policy);
// The DType of an uncompressed cache's elements.
DType dense_cache_dtype(CacheDType dtype);
// FlexGen's compress_weight: the decoder's linear weights stored q4/q8 with group 64; nullopt
// for none.
std::optional<TensorFormat> weight_format_of(Compression compression);

}  // namespace strata
