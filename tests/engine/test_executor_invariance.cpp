// The executor's invariant (DESIGN.md "Executor"): every policy — any tier split of weights and
// KV cache, activations on device or host, cpu_attention on or off, overlap on or off, any batch
// shape — yields exactly the greedy tokens of the all-in-memory path (Generator over OptModel)
// for the same micro-batches, on the CPU backend.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <map>
#include <sstream>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/generate/block_generator.h"
#include "executor_test_model.h"

namespace strata {
namespace {

std::vector<SequenceRequest> requests(unsigned seed, int count) {
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
// its KV cache in `cache_dtype` (f32, or compressed q4/q8).
std::vector<SequenceResult> reference(const ut::TinyOptModel& m,
                                      const std::vector<SequenceRequest>& reqs, int64_t g,
                                      DType cache_dtype = DType::f32) {
  CpuBackend be;
  Generator gen(m.model(), m.tokenizer(), be, cache_dtype);
  std::vector<SequenceResult> out;
  for (size_t at = 0; at < reqs.size(); at += size_t(g)) {
    const size_t n = std::min(size_t(g), reqs.size() - at);
    for (SequenceResult& r : gen.generate({reqs.data() + at, n})) out.push_back(std::move(r));
  }
  return out;
}

std::vector<SequenceResult> executor(const ut::TinyOptModel& m,
                                     const std::vector<SequenceRequest>& reqs,
                                     const ExecutorOptions& options, ExecutorReport* report) {
  CpuBackend be;
  BlockGenerator gen(m.store_dir(), m.tokenizer(), be, options);
  std::vector<SequenceResult> out;
  const size_t block = size_t(options.policy.block_size());
  for (size_t at = 0; at < reqs.size(); at += block) {
    const size_t n = std::min(block, reqs.size() - at);
    for (SequenceResult& r : gen.generate({reqs.data() + at, n})) out.push_back(std::move(r));
  }
  if (report != nullptr) *report = gen.report();
  return out;
}

std::string describe(const ExecutorPolicy& p) {
  std::ostringstream s;
  s << "G=" << p.gpu_batch_size << " K=" << p.num_gpu_batches << " weights(" << p.weights.device
    << "," << p.weights.host << "," << p.weights.disk << ") cache(" << p.cache.device << ","
    << p.cache.host << "," << p.cache.disk << ") act(" << p.activations.device << ")"
    << (p.attention == AttentionAt::kv_home ? " cpu_attention" : "")
    << (p.cache_dtype != DType::f32 ? " kv " + std::string(dtype_name(p.cache_dtype)) : "")
    << (p.overlap == TransferOverlap::off ? " no-overlap" : "");
  return s.str();
}

void check_same(const std::vector<SequenceResult>& want, const std::vector<SequenceResult>& got,
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

bool offload_dir_empty(const std::filesystem::path& dir) {
  return std::filesystem::is_empty(dir);
}

}  // namespace

TEST_CASE("executor: every policy of the grid gives the all-in-memory greedy tokens",
          "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  const std::vector<SequenceRequest> reqs = requests(7, 11);
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);

  const TierShares on_device{1, 0, 0}, on_host{0, 1, 0}, on_disk{0, 0, 1};
  const std::vector<TierShares> weight_splits = {on_device, {0.5, 0, 0.5}, on_disk,
                                                 {0.2, 0.5, 0.3}};
  const std::vector<TierShares> cache_splits = {on_device, on_host, on_disk, {0.3, 0.3, 0.4},
                                                {0, 0.5, 0.5}};
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {3, 2}, {4, 3}, {2, 1}};
  int runs = 0;
  for (const auto& [g, k] : shapes) {
    const std::vector<SequenceResult> want = reference(m, reqs, g);
    for (const TierShares& w : weight_splits) {
      for (const TierShares& c : cache_splits) {
        for (AttentionAt at : {AttentionAt::device, AttentionAt::kv_home}) {
          if (at == AttentionAt::kv_home && c.device > 0) continue;  // refused by validate()
          for (TransferOverlap ov : {TransferOverlap::on, TransferOverlap::off}) {
            ExecutorOptions o;
            o.policy.gpu_batch_size = g;
            o.policy.num_gpu_batches = k;
            o.policy.weights = w;
            o.policy.cache = c;
            o.policy.activations = (runs / 2) % 2 ? on_host : on_device;  // both overlaps
            o.policy.attention = at;
            o.policy.overlap = ov;
            o.offload_dir = offload;
            check_same(want, executor(m, reqs, o, nullptr), describe(o.policy));
            CHECK(offload_dir_empty(offload));
            ++runs;
          }
        }
      }
    }
  }
  CHECK(runs >= 100);
}

TEST_CASE("executor: invariance holds for post-LN, projected, untied and f16 models",
          "[executor]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  int index = 0;
  for (ut::TinyOptOptions opt : {ut::TinyOptOptions{.post_ln = true, .seed = 3},
                                 ut::TinyOptOptions{.tied = false, .proj = 32, .seed = 4},
                                 ut::TinyOptOptions{.layers = 3, .dtype = DType::f16, .seed = 5}}) {
    const ut::TinyOptModel m(tmp / ("m" + std::to_string(index++)), opt);
    const std::vector<SequenceRequest> reqs = requests(11 + unsigned(index), 9);
    const std::vector<SequenceResult> want = reference(m, reqs, 2);
    ExecutorOptions o;
    o.policy.gpu_batch_size = 2;
    o.policy.num_gpu_batches = 3;
    o.policy.weights = {0.3, 0.3, 0.4};
    o.policy.cache = {0, 0.4, 0.6};
    o.policy.activations = {0, 1, 0};
    o.offload_dir = offload;
    check_same(want, executor(m, reqs, o, nullptr), "device attention");
    o.policy.attention = AttentionAt::kv_home;
    check_same(want, executor(m, reqs, o, nullptr), "cpu_attention");
  }
}

TEST_CASE("executor: invariance holds with q4/q8 weights, which stream as packed bytes",
          "[executor][quant]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const TierShares on_device{1, 0, 0}, on_disk{0, 0, 1};
  int index = 0;
  for (ut::TinyOptOptions opt :
       {ut::TinyOptOptions{.quant = TensorFormat(DType::q4, 64), .seed = 31},
        ut::TinyOptOptions{.post_ln = true, .dtype = DType::f16,
                           .quant = TensorFormat(DType::q8, 32), .seed = 32},
        ut::TinyOptOptions{.tied = false, .proj = 32, .quant = TensorFormat(DType::q4, 128),
                           .seed = 33}}) {
    const ut::TinyOptModel m(tmp / ("q" + std::to_string(index++)), opt);
    const std::vector<SequenceRequest> reqs = requests(40 + unsigned(index), 9);
    const std::vector<SequenceResult> want = reference(m, reqs, 2);
    for (const TierShares& w : {on_device, TierShares{0.5, 0, 0.5}, on_disk,
                                TierShares{0.2, 0.5, 0.3}}) {
      for (const TierShares& c : {on_device, TierShares{0, 0.5, 0.5}}) {
        for (AttentionAt at : {AttentionAt::device, AttentionAt::kv_home}) {
          if (at == AttentionAt::kv_home && c.device > 0) continue;
          for (TransferOverlap ov : {TransferOverlap::on, TransferOverlap::off}) {
            ExecutorOptions o;
            o.policy.gpu_batch_size = 2;
            o.policy.num_gpu_batches = 2;
            o.policy.weights = w;
            o.policy.cache = c;
            o.policy.attention = at;
            o.policy.overlap = ov;
            o.offload_dir = offload;
            check_same(want, executor(m, reqs, o, nullptr),
                       format_name(*opt.quant) + " " + describe(o.policy));
          }
        }
      }
    }
  }

  // All weights on disk: the bytes read per run are the packed bytes, about bits/16 of f16's.
  const std::vector<SequenceRequest> reqs = requests(50, 4);
  ExecutorOptions o;
  o.policy.gpu_batch_size = 2;
  o.policy.num_gpu_batches = 2;
  o.policy.weights = on_disk;
  o.offload_dir = offload;
  ExecutorReport dense, packed;
  const ut::TinyOptModel f16(tmp / "f16", {.dtype = DType::f16, .seed = 34});
  const ut::TinyOptModel q4(
      tmp / "q4", {.dtype = DType::f16, .quant = TensorFormat(DType::q4, 64), .seed = 34});
  executor(f16, reqs, o, &dense);
  executor(q4, reqs, o, &packed);
  CHECK(packed.bytes.disk_read < dense.bytes.disk_read);
  CHECK(packed.placed[Place::disk].weights < dense.placed[Place::disk].weights);
  // Per layer: 4 h^2 + 2 h ffn weights go from 2 bytes to 36/64 bytes each.
  const uint64_t h = 64, ffn = 128, layers = 2, linear = layers * (4 * h * h + 2 * h * ffn);
  CHECK(dense.placed[Place::disk].weights - packed.placed[Place::disk].weights ==
        linear * 2 - linear / 64 * 36);
}

namespace {

// The compressed grid: every cache split (and so every tier, disk file and copy path) ×
// cpu_attention × overlap for the batch shapes given; the weight split and the activations'
// tier alternate from run to run. Returns the number of runs.
int compressed_grid(const ut::TinyOptModel& m, const std::vector<SequenceRequest>& reqs,
                    DType kv, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                    const std::vector<TierShares>& cache_splits,
                    const std::filesystem::path& offload) {
  const TierShares on_device{1, 0, 0}, on_host{0, 1, 0};
  const std::vector<TierShares> weight_splits = {on_device, {0.2, 0.5, 0.3}, {0, 0.5, 0.5}};
  int runs = 0;
  for (const auto& [g, k] : shapes) {
    const std::vector<SequenceResult> want = reference(m, reqs, g, kv);
    for (const TierShares& c : cache_splits) {
      for (AttentionAt at : {AttentionAt::device, AttentionAt::kv_home}) {
        if (at == AttentionAt::kv_home && c.device > 0) continue;
        for (TransferOverlap ov : {TransferOverlap::on, TransferOverlap::off}) {
          ExecutorOptions o;
          o.policy.gpu_batch_size = g;
          o.policy.num_gpu_batches = k;
          o.policy.weights = weight_splits[size_t(runs) % weight_splits.size()];
          o.policy.cache = c;
          o.policy.activations = runs % 4 < 2 ? on_device : on_host;
          o.policy.attention = at;
          o.policy.overlap = ov;
          o.policy.cache_dtype = kv;
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

const std::vector<TierShares> kAllCacheSplits = {
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
  const std::vector<TierShares> off_device = {{0, 1, 0}, {0, 0, 1}, {0, 0.5, 0.5}};
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
  for (DType kv : {DType::f32, DType::q4, DType::q8}) {
    ExecutorOptions o;
    o.policy.gpu_batch_size = 3;
    o.policy.num_gpu_batches = 2;
    o.policy.cache_dtype = kv;
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
  for (DType kv : {DType::q4, DType::q8}) {
    CAPTURE(dtype_name(kv));
    const size_t slot = kv_format(kv, heads, hidden / heads).slot_bytes();
    const ExecutorReport& host = runs[kv].host;
    // Copies move whole slot rows: exactly slot / (4 * hidden) of the fp32 bytes (q4: 48 / 256,
    // q8: 80 / 256 for head_dim 16), and the rest of the traffic (weights, hidden states) is
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
}

TEST_CASE("executor: disk policies really stream through the disk and report it", "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  const std::vector<SequenceRequest> reqs = requests(21, 6);
  ExecutorOptions o;
  o.policy.gpu_batch_size = 2;
  o.policy.num_gpu_batches = 3;
  o.policy.weights = {0, 0, 1};
  o.policy.cache = {0, 0, 1};
  o.offload_dir = tmp.path();
  ExecutorReport report;
  executor(m, reqs, o, &report);
  CHECK(report.bytes.disk_read > 0);
  CHECK(report.bytes.disk_write > 0);
  CHECK(report.bytes.h2d > 0);
  CHECK(report.times.compute > 0);
  CHECK(report.placed[Place::device].weights == 0);
  CHECK(report.placed[Place::disk].weights > 0);
  CHECK(report.placed[Place::disk].cache > 0);
  CHECK(report.summary().find("disk read") != std::string::npos);

  o.policy.weights = {1, 0, 0};
  o.policy.cache = {1, 0, 0};
  executor(m, reqs, o, &report);
  CHECK(report.bytes.disk_read == 0);
  CHECK(report.bytes.disk_write == 0);
  CHECK(report.placed[Place::disk].total() == 0);
}

TEST_CASE("executor: offload files are removed after a run and after an error",
          "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  std::vector<SequenceRequest> reqs = requests(5, 4);
  for (SequenceRequest& r : reqs) r.max_new_tokens = 4;
  ExecutorOptions o;
  o.policy.gpu_batch_size = 2;
  o.policy.num_gpu_batches = 2;
  o.policy.cache = {0, 0, 1};
  o.offload_dir = offload;
  CpuBackend be;
  BlockGenerator gen(m.store_dir(), m.tokenizer(), be, o);
  // Cancelled after the prefill step, with the KV files written: Interrupted unwinds the block.
  std::atomic<bool> cancel{true};
  CHECK_THROWS_AS(gen.generate(reqs, &cancel), Interrupted);
  CHECK(offload_dir_empty(offload));
  CHECK(gen.report().bytes.disk_write == 0);  // the cancelled block reports nothing
  gen.generate(reqs);
  CHECK(offload_dir_empty(offload));
  CHECK(gen.report().bytes.disk_write > 0);
}

TEST_CASE("executor: a KV file that cannot be preallocated is one clear error, nothing left",
          "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  ExecutorOptions o;
  o.policy.gpu_batch_size = 2;
  o.policy.cache = {0, 0, 1};
  o.offload_dir = offload;
  CpuBackend be;
  BlockGenerator gen(m.store_dir(), m.tokenizer(), be, o);
  std::vector<SequenceRequest> reqs = requests(9, 2);
  for (SequenceRequest& r : reqs) r.max_new_tokens = 3;
  // A file size limit below one KV file: posix_fallocate fails with EFBIG (SIGXFSZ ignored),
  // as it would with ENOSPC on a full disk.
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    gen.generate(reqs);
  } catch (const Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  CHECK_THAT(message, Catch::Contains("kv_layer_000.bin") && Catch::Contains("preallocate"));
  CHECK(message.find('\n') == std::string::npos);
  CHECK(offload_dir_empty(offload));
  // The generator is still usable once the limit is gone.
  CHECK(gen.generate(reqs).size() == reqs.size());
  CHECK(offload_dir_empty(offload));
}

TEST_CASE("executor: a disk cache without --offload-dir is refused", "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  ExecutorOptions o;
  o.policy.cache = {0, 0, 1};
  CpuBackend be;
  BlockGenerator gen(m.store_dir(), m.tokenizer(), be, o);
  const std::vector<SequenceRequest> reqs = requests(5, 1);
  std::vector<SequenceRequest> one = {reqs[0]};
  one[0].max_new_tokens = 2;
  CHECK_THROWS_WITH(gen.generate(one), Catch::Contains("--offload-dir"));
}

}  // namespace strata
