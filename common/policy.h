// Policy: how the executor runs one model on one machine (DESIGN.md "Core types", "Executor").
//
// A block is num_gpu_batches micro-batches of gpu_batch_size sequences. Weights, KV cache and
// activations (the hidden states kept between layers) each have a placement: the fractions of
// their bytes homed on device, host and disk. The executor splits every weight matrix by row
// ranges within each layer and lays the KV cache out per (layer, micro-batch) per tier, so the
// realised fractions equal these numbers. A Policy is plain data; validate() checks it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace strata {

enum class Tier { kDevice, kHost, kDisk };
enum class DataKind { kWeights, kCache, kActivations };

// Where decode-step attention runs: on the device (KV cache is copied in) or on the host where
// the KV cache lives (FlexGen's cpu_cache_compute; only q and the attention output cross the bus).
enum class AttentionPlace { kDevice, kHost };

// Group-wise asymmetric quantization, group 64 along each row's input dimension (DESIGN.md).
enum class Compression { kNone, kQ4, kQ8 };

// The element type of an uncompressed KV cache (compress_cache none) on every tier: f16
// (FlexGen's), bf16 (for bf16 models, whose keys may exceed f16's range) or f32 (exact, twice
// the bytes). The runtime picks it per model (`--cache-dtype auto`: bf16 for a bf16 model, else
// f16); a policy YAML file does not carry it.
enum class CacheDType { kF16, kBF16, kF32 };

// Whether transfers run concurrently with compute (one queue per resource) or one after another.
enum class Overlap { kOff, kOn };

struct Placement {
  double device = 1.0;
  double host = 0.0;
  double disk = 0.0;
};

struct Policy {
  int64_t gpu_batch_size = 1;
  int64_t num_gpu_batches = 1;
  Placement weights;
  Placement cache;
  Placement activations;
  AttentionPlace attention = AttentionPlace::kDevice;  // kHost = FlexGen's cpu_attention
  Compression compress_weight = Compression::kNone;
  Compression compress_cache = Compression::kNone;
  CacheDType cache_dtype = CacheDType::kF16;  // the cache's elements when compress_cache is none
  Overlap overlap = Overlap::kOn;

  // Sequences per block: gpu_batch_size * num_gpu_batches (FlexGen's "effective batch").
  int64_t block_size() const { return gpu_batch_size * num_gpu_batches; }
};

double fraction(const Placement& p, Tier tier);
// Weights, KV cache and activations all homed on the device: nothing is transferred.
bool all_on_device(const Policy& policy);
const Placement& placement(const Policy& policy, DataKind kind);
Placement& placement(Policy& policy, DataKind kind);

// Throws InputError naming the field: batch sizes >= 1, each fraction in [0,1], each placement
// summing to 1 within 1e-6, and host attention only with no KV cache on the device.
void validate(const Policy& policy);

// FlexGen's `--percent W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST` (0..100 each; disk = the rest).
// Fills the three placements of `policy`; throws InputError naming the offending percentage.
void set_flexgen_percent(Policy& policy, const std::array<double, 6>& percent);
std::array<double, 6> flexgen_percent(const Policy& policy);

const char* to_string(Tier tier);
const char* to_string(DataKind kind);
const char* to_string(Compression compression);  // "none", "q4", "q8"
const char* to_string(AttentionPlace place);     // "device", "host"
const char* to_string(CacheDType dtype);         // "f16", "bf16", "f32"
// Parses "none" / "q4" / "q8"; throws InputError listing the accepted names.
Compression parse_compression(const std::string& text);
// Parses "f16" / "bf16" / "f32"; throws InputError naming `what` and the accepted names.
CacheDType parse_cache_dtype(const std::string& text, const char* what);

}  // namespace strata
