// ExecutorPolicy: what the offloading executor is told to do, as plain data. It mirrors the
// planner's Policy (planner/policy.h) field for field; engine/ does not depend on planner/
// (DESIGN.md "Folders"), so the CLI translates one into the other.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "engine/core/dtype.h"
#include "offload/uring_file_options.h"

namespace strata {

// Fractions of one kind of data homed on each tier; they sum to 1.
struct TierShares {
  double device = 1.0;
  double host = 0.0;
  double disk = 0.0;
};

// Where decode-step attention runs: on the device (the KV cache is copied in) or where the KV
// cache lives (FlexGen's cpu_cache_compute: only q and the output cross the bus).
enum class AttentionAt { device, kv_home };

// Transfers run on their own workers, concurrently with compute, or one after another.
enum class TransferOverlap { off, on };

struct ExecutorPolicy {
  int64_t gpu_batch_size = 1;
  int64_t num_gpu_batches = 1;
  TierShares weights;
  TierShares cache;
  TierShares activations;  // hidden states between layers: device or host (disk is refused)
  AttentionAt attention = AttentionAt::device;
  TransferOverlap overlap = TransferOverlap::on;
  // FlexGen's compress_cache: the KV cache's elements on every tier — f32, or q4/q8 quantized
  // along head_dim (engine/models/kv_format.h). Homes, disk files, staging and copies then hold
  // and move the packed bytes.
  DType cache_dtype = DType::f32;

  int64_t block_size() const { return gpu_batch_size * num_gpu_batches; }
};

// Usable bytes per tier; nullopt = no limit given.
struct TierCapacities {
  std::optional<uint64_t> device;
  std::optional<uint64_t> host;
  std::optional<uint64_t> disk;
};

struct ExecutorOptions {
  ExecutorPolicy policy;
  TierCapacities capacities;
  std::filesystem::path offload_dir;  // disk-resident KV cache files go in a folder made here
  WarningSink warn;                   // I/O fallback warnings (O_DIRECT refused on tmpfs, ...)
  // FlexGen's compress_weight: the decoder layers' linear weights as q4/q8 (group 64). The
  // executor runs whatever its store holds; this says which store to use or convert to
  // (cli/generation_engine) and what the capacity check counts for an unconverted model.
  std::optional<TensorFormat> compress_weight;
};

// Throws InputError naming the field: batch sizes >= 1, shares in [0, 1] summing to 1,
// activations not on disk, kv_home attention with no KV cache on the device, a cache dtype of
// f32, q4 or q8.
void validate(const ExecutorPolicy& policy);

}  // namespace strata
