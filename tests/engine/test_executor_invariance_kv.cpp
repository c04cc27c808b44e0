// The executor's invariant with a compressed KV cache (issue 4): q4/q8 K/V on every tier give
// the tokens of the all-in-memory Generator with the same cache format, and every tier, disk file
// and copy holds and moves the packed bytes.
#include <catch2/catch.hpp>

#include <map>

#include "executor_invariance_support.h"

namespace strata {

using namespace ut;  // requests, reference, executor, describe, check_same, offload_dir_empty

namespace {

// The compressed grid: every cache split (and so every tier, disk file and copy path) ×
// cpu_attention × overlap for the batch shapes given; the weight split and the activations'
// tier alternate from run to run. Returns the number of runs.
int compressed_grid(const ut::TinyOptModel& m, const std::vector<SequenceRequest>& reqs,
                    DType kv, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                    const std::vector<Placement>& cache_splits,
                    const std::filesystem::path& offload) {
  const Placement on_device{1, 0, 0}, on_host{0, 1, 0};
  const std::vector<Placement> weight_splits = {on_device, {0.2, 0.5, 0.3}, {0, 0.5, 0.5}};
  int runs = 0;
  for (const auto& [g, k] : shapes) {
    const std::vector<SequenceResult> want = reference(m, reqs, g, kv);
    for (const Placement& c : cache_splits) {
      for (AttentionPlace at : {AttentionPlace::kDevice, AttentionPlace::kHost}) {
        if (at == AttentionPlace::kHost && c.device > 0) continue;
        for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
          ExecutorOptions o;
          o.policy.gpu_batch_size = g;
          o.policy.num_gpu_batches = k;
          o.policy.weights = weight_splits[size_t(runs) % weight_splits.size()];
          o.policy.cache = c;
          o.policy.activations = runs % 4 < 2 ? on_device : on_host;
          o.policy.attention = at;
          o.policy.overlap = ov;
          set_cache_format(o.policy, kv);
          o.offload_dir = offload;
          check_same(want, executor(m, reqs, o, nullptr), describe(o.policy));
          CHECK(offload_dir_empty(offload));
          ++runs;
        }
      }
    }
  }
  return runs;
}

const std::vector<Placement> kAllCacheSplits = {
    {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0.3, 0.3, 0.4}, {0, 0.5, 0.5}};

}  // namespace

TEST_CASE("executor: a q4 KV cache gives the q4 all-in-memory tokens under every placement",
          "[executor][quant]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const ut::TinyOptModel m(tmp / "m", {.seed = 61});
  const std::vector<SequenceRequest> reqs = requests(71, 10);
  // Compression changes the tokens (so the reference really is the compressed path).
  const std::vector<SequenceResult> q4 = reference(m, reqs, 3, DType::q4);
  const std::vector<SequenceResult> f32 = reference(m, reqs, 3);
  int differ = 0;
  for (size_t i = 0; i < q4.size(); ++i) differ += q4[i].token_ids != f32[i].token_ids;
  CHECK(differ > 0);
  CHECK(compressed_grid(m, reqs, DType::q4, {{1, 1}, {3, 2}}, kAllCacheSplits, offload) == 32);
}

TEST_CASE("executor: q8 and q4 KV caches with f16 post-LN q4-weight models, every tier",
          "[executor][quant]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const ut::TinyOptModel m(tmp / "m", {.seed = 61});
  int runs = compressed_grid(m, requests(72, 10), DType::q8, {{2, 3}}, kAllCacheSplits, offload);
  const ut::TinyOptModel mq(tmp / "mq", {.post_ln = true, .dtype = DType::f16,
                                         .quant = TensorFormat(DType::q4, 64), .seed = 62});
  const std::vector<Placement> off_device = {{0, 1, 0}, {0, 0, 1}, {0, 0.5, 0.5}};
  for (DType kv : {DType::q4, DType::q8}) {
    runs += compressed_grid(mq, requests(73, 9), kv, {{3, 2}}, off_device, offload);
  }
  CHECK(runs == 16 + 2 * 12);
}

TEST_CASE("executor: a compressed KV cache moves and places its packed bytes on every tier",
          "[executor][quant]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {.seed = 63});
  // Every sequence generates all its tokens (checked), so each run moves the same slots.
  std::vector<SequenceRequest> reqs = requests(81, 6);
  for (SequenceRequest& r : reqs) r.max_new_tokens = 6;
  const int64_t hidden = 64, heads = 4;
  struct Run {
    ExecutorReport host, disk;
  };
  std::map<DType, Run> runs;
  for (DType kv : {DType::f32, DType::f16, DType::bf16, DType::q4, DType::q8}) {
    ExecutorOptions o;
    o.policy.gpu_batch_size = 3;
    o.policy.num_gpu_batches = 2;
    set_cache_format(o.policy, kv);
    o.offload_dir = tmp.path();
    o.policy.cache = {0, 1, 0};  // host: every decode step copies the cache in, new rows out
    for (const SequenceResult& r : executor(m, reqs, o, &runs[kv].host)) {
      REQUIRE(r.finish_reason == FinishReason::length);
    }
    o.policy.cache = {0, 0, 1};  // disk
    for (const SequenceResult& r : executor(m, reqs, o, &runs[kv].disk)) {
      REQUIRE(r.finish_reason == FinishReason::length);
    }
  }
  const ExecutorReport& f32 = runs[DType::f32].host;
  REQUIRE(f32.kv_bytes.h2d > 0);
  REQUIRE(f32.kv_bytes.d2h > 0);
  for (DType kv : {DType::f16, DType::bf16, DType::q4, DType::q8}) {
    CAPTURE(dtype_name(kv));
    const size_t slot = kv_format(kv, heads, hidden / heads).slot_bytes();
    const ExecutorReport& host = runs[kv].host;
    // Copies move whole slot rows: exactly slot / (4 * hidden) of the fp32 bytes (f16, bf16:
    // 128 / 256, q4: 48 / 256, q8: 80 / 256 for head_dim 16), and the rest of the traffic (weights, hidden states) is
    // unchanged.
    CHECK(host.kv_bytes.h2d * 4 * hidden == f32.kv_bytes.h2d * slot);
    CHECK(host.kv_bytes.d2h * 4 * hidden == f32.kv_bytes.d2h * slot);
    CHECK(host.bytes.h2d - host.kv_bytes.h2d == f32.bytes.h2d - f32.kv_bytes.h2d);
    CHECK(host.placed[Place::host].cache < f32.placed[Place::host].cache);
    // Disk transfers are whole 4096-byte blocks of each sequence's rows: fewer blocks, never
    // fewer than the packed bytes need.
    const ExecutorReport& disk = runs[kv].disk;
    const ExecutorReport& f32_disk = runs[DType::f32].disk;
    CHECK(disk.kv_bytes.disk_read < f32_disk.kv_bytes.disk_read);
    CHECK(disk.kv_bytes.disk_read * 4 * hidden >= f32_disk.kv_bytes.disk_read * slot);
    CHECK(disk.kv_bytes.disk_write <= f32_disk.kv_bytes.disk_write);
    CHECK(disk.kv_bytes.disk_read % 4096 == 0);
    CHECK(disk.kv_bytes.disk_write % 4096 == 0);
    CHECK(disk.placed[Place::disk].cache < f32_disk.placed[Place::disk].cache);
    CHECK(disk.bytes.disk_read == disk.kv_bytes.disk_read);  // weights are on the device
  }
  CHECK(runs[DType::q4].host.kv_bytes.h2d < runs[DType::q8].host.kv_bytes.h2d);
  CHECK(runs[DType::q8].host.kv_bytes.h2d < runs[DType::f16].host.kv_bytes.h2d);
  CHECK(runs[DType::f16].host.kv_bytes.h2d * 2 == runs[DType::f32].host.kv_bytes.h2d);
}

}  // namespace strata
