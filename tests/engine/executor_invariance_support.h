// Shared pieces of the executor invariance tests: random requests, the all-in-memory reference
// (Generator per micro-batch), the executor run (BlockGenerator per block), and the comparison.
#pragma once

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/generate/block_generator.h"
#include "executor_test_model.h"

namespace strata::ut {

inline std::vector<SequenceRequest> requests(unsigned seed, int count) {
  std::mt19937 rng(seed);
  std::vector<SequenceRequest> out(static_cast<size_t>(count));
  for (SequenceRequest& r : out) {
    r.prompt_ids = {2};
    const int64_t len = ut::random_int(rng, 0, 13);
    for (int64_t i = 0; i < len; ++i) r.prompt_ids.push_back(int32_t(ut::random_int(rng, 4, 259)));
    r.max_new_tokens = ut::random_int(rng, 0, 9);  // 0: nothing to generate; others finish early
  }
  return out;
}

// The reference: the all-in-memory Generator, one call per micro-batch of `g` sequences, with
// its KV cache in `cache_dtype` (f16 by default, as the executor's default policy; bf16, f32, or
// compressed q4/q8).
inline std::vector<SequenceResult> reference(const ut::TinyOptModel& m,
                                      const std::vector<SequenceRequest>& reqs, int64_t g,
                                      DType cache_dtype = DType::f16) {
  CpuBackend be;
  Generator gen(m.model(), m.tokenizer(), be, cache_dtype);
  std::vector<SequenceResult> out;
  for (size_t at = 0; at < reqs.size(); at += size_t(g)) {
    const size_t n = std::min(size_t(g), reqs.size() - at);
    for (SequenceResult& r : gen.generate({reqs.data() + at, n})) out.push_back(std::move(r));
  }
  return out;
}

// The executor on `be` (a CpuBackend by default), one BlockGenerator call per block.
inline std::vector<SequenceResult> executor(const ut::TinyOptModel& m,
                                     const std::vector<SequenceRequest>& reqs,
                                     const ExecutorOptions& options, ExecutorReport* report,
                                     Backend* backend = nullptr) {
  CpuBackend cpu;
  Backend& be = backend != nullptr ? *backend : cpu;
  BlockGenerator gen(m.spec(), m.source(), m.tokenizer(), be, options);
  std::vector<SequenceResult> out;
  const size_t block = size_t(options.policy.block_size());
  for (size_t at = 0; at < reqs.size(); at += block) {
    const size_t n = std::min(block, reqs.size() - at);
    for (SequenceResult& r : gen.generate({reqs.data() + at, n})) out.push_back(std::move(r));
  }
  if (report != nullptr) *report = gen.report();
  return out;
}

// One placement of a grid: where weights and cache live, the activations' device share, where
// decode attention runs, and the cache's format.
struct GridCase {
  Placement weights, cache;
  double activations_on_device = 1;
  AttentionPlace attention = AttentionPlace::kDevice;
  DType cache_dtype = DType::f16;
};

// The policy fields that make a KV cache of element type d (f16, bf16, f32, q4, q8).
inline void set_cache_format(Policy& p, DType d) {
  p.compress_cache =
      d == DType::q4 ? Compression::kQ4 : d == DType::q8 ? Compression::kQ8 : Compression::kNone;
  p.cache_dtype = d == DType::bf16 ? CacheDType::kBF16
                  : d == DType::f32 ? CacheDType::kF32
                                    : CacheDType::kF16;
}

inline ExecutorOptions placement_options(const GridCase& p, int64_t g, int64_t k,
                                         Overlap overlap,
                                         const std::filesystem::path& offload) {
  ExecutorOptions o;
  o.policy.gpu_batch_size = g;
  o.policy.num_gpu_batches = k;
  o.policy.weights = p.weights;
  o.policy.cache = p.cache;
  o.policy.activations = {p.activations_on_device, 1 - p.activations_on_device, 0};
  o.policy.attention = p.attention;
  set_cache_format(o.policy, p.cache_dtype);
  o.policy.overlap = overlap;
  o.offload_dir = offload;
  o.row_gap_bytes = 0;  // a streamed embedding table moves its step's rows and no row between
  return o;
}

inline std::string describe(const Policy& p) {
  std::ostringstream s;
  s << "G=" << p.gpu_batch_size << " K=" << p.num_gpu_batches << " weights(" << p.weights.device
    << "," << p.weights.host << "," << p.weights.disk << ") cache(" << p.cache.device << ","
    << p.cache.host << "," << p.cache.disk << ") act(" << p.activations.device << ")"
    << (p.attention == AttentionPlace::kHost ? " cpu_attention" : "")
    << (p.compress_cache != Compression::kNone ? " kv " + std::string(to_string(p.compress_cache)) : "")
    << (p.overlap == Overlap::kOff ? " no-overlap" : "");
  return s.str();
}

inline void check_same(const std::vector<SequenceResult>& want, const std::vector<SequenceResult>& got,
                       const std::string& what);
inline bool offload_dir_empty(const std::filesystem::path& dir);

// The grid: every tier split of weights and KV cache, activations on device or host,
// cpu_attention on and off, overlap on and off, four batch shapes; each run's tokens must be
// the all-in-memory reference's. Returns the number of runs.
inline int invariance_grid(const TinyOptModel& m, const std::vector<SequenceRequest>& reqs,
                           const std::filesystem::path& offload) {
  const Placement on_device{1, 0, 0}, on_host{0, 1, 0}, on_disk{0, 0, 1};
  const std::vector<Placement> weight_splits = {on_device, {0.5, 0, 0.5}, on_disk,
                                                 {0.2, 0.5, 0.3}};
  const std::vector<Placement> cache_splits = {on_device, on_host, on_disk, {0.3, 0.3, 0.4},
                                                {0, 0.5, 0.5}};
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {3, 2}, {4, 3}, {2, 1}};
  int runs = 0;
  for (const auto& [g, k] : shapes) {
    const std::vector<SequenceResult> want = reference(m, reqs, g);
    for (const Placement& w : weight_splits) {
      for (const Placement& c : cache_splits) {
        for (AttentionPlace at : {AttentionPlace::kDevice, AttentionPlace::kHost}) {
          if (at == AttentionPlace::kHost && c.device > 0) continue;  // refused by validate()
          for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
            ExecutorOptions o;
            o.policy.gpu_batch_size = g;
            o.policy.num_gpu_batches = k;
            o.policy.weights = w;
            o.policy.cache = c;
            o.policy.activations = (runs / 2) % 2 ? on_host : on_device;  // both overlaps
            o.policy.attention = at;
            o.policy.overlap = ov;
            o.offload_dir = offload;
            // Mostly no row between a step's embedding rows (the tiny vocabulary would fit in
            // one default gap), sometimes the default merging.
            o.row_gap_bytes = runs % 4 == 3 ? kRowGapBytes : 0;
            check_same(want, executor(m, reqs, o, nullptr), describe(o.policy));
            CHECK(offload_dir_empty(offload));
            ++runs;
          }
        }
      }
    }
  }
  return runs;
}

inline void check_same(const std::vector<SequenceResult>& want, const std::vector<SequenceResult>& got,
                const std::string& what) {
  INFO(what);
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("request " << i);
    CHECK(want[i].token_ids == got[i].token_ids);
    CHECK(want[i].finish_reason == got[i].finish_reason);
    CHECK(want[i].text == got[i].text);
  }
}

inline bool offload_dir_empty(const std::filesystem::path& dir) {
  return std::filesystem::is_empty(dir);
}

}  // namespace strata::ut
