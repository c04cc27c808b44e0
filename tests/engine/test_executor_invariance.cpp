// The executor's invariant (DESIGN.md "Executor"): every policy — any tier split of weights and
// KV cache, activations on device or host, cpu_attention on or off, overlap on or off, any batch
// shape — yields exactly the greedy tokens of the all-in-memory path (Generator over OptModel)
// for the same micro-batches, on the CPU backend. Compressed KV caches:
// test_executor_invariance_kv.cpp.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <limits>

#include "executor_invariance_support.h"

namespace strata {

using namespace ut;  // requests, reference, executor, describe, check_same, offload_dir_empty

TEST_CASE("executor: every policy of the grid gives the all-in-memory greedy tokens",
          "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {});
  const std::vector<SequenceRequest> reqs = requests(7, 11);
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);

  CHECK(invariance_grid(m, reqs, offload) >= 100);
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
    o.policy.attention = AttentionPlace::kHost;
    check_same(want, executor(m, reqs, o, nullptr), "cpu_attention");
  }
}

TEST_CASE("executor: invariance holds with q4/q8 weights, which stream as packed bytes",
          "[executor][quant]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const Placement on_device{1, 0, 0}, on_disk{0, 0, 1};
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
    for (const Placement& w : {on_device, Placement{0.5, 0, 0.5}, on_disk,
                                Placement{0.2, 0.5, 0.3}}) {
      for (const Placement& c : {on_device, Placement{0, 0.5, 0.5}}) {
        for (AttentionPlace at : {AttentionPlace::kDevice, AttentionPlace::kHost}) {
          if (at == AttentionPlace::kHost && c.device > 0) continue;
          for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
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

TEST_CASE("executor: a streamed embedding stage reads only the rows of its step's tokens",
          "[executor]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), {.tied = false, .proj = 32, .seed = 8});
  const std::vector<SequenceRequest> reqs = requests(23, 6);
  const std::vector<SequenceResult> want = reference(m, reqs, 3);
  ExecutorOptions o;
  o.policy.gpu_batch_size = 3;
  o.policy.num_gpu_batches = 2;
  o.policy.weights = {0, 0, 1};
  o.offload_dir = tmp.path();
  ExecutorReport rows_only, merged;
  o.row_gap_bytes = 0;
  check_same(want, executor(m, reqs, o, &rows_only), "rows only");
  // Every gap merged: each step reads its tables from its lowest row to its highest.
  o.row_gap_bytes = std::numeric_limits<uint64_t>::max();
  check_same(want, executor(m, reqs, o, &merged), "gaps merged");
  CHECK(rows_only.bytes.disk_read < merged.bytes.disk_read);
  CHECK(rows_only.bytes.h2d < merged.bytes.h2d);
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
  BlockGenerator gen(m.spec(), m.source(), m.tokenizer(), be, o);
  // Cancelled inside the prefill step, after its first (stage, micro-batch) item, with that
  // item's stores and the next one's loads in flight: Interrupted unwinds the block.
  std::atomic<bool> cancel{true};
  CHECK_THROWS_AS(gen.generate(reqs, &cancel), Interrupted);
  CHECK(offload_dir_empty(offload));
  CHECK(gen.report().bytes.disk_write == 0);  // the cancelled block reports nothing
  const std::vector<SequenceResult> after = gen.generate(reqs);
  CHECK(offload_dir_empty(offload));
  CHECK(gen.report().bytes.disk_write > 0);
  // The generator is whole again: the same tokens as one that was never interrupted.
  BlockGenerator fresh(m.spec(), m.source(), m.tokenizer(), be, o);
  const std::vector<SequenceResult> want = fresh.generate(reqs);
  REQUIRE(after.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(after[i].token_ids == want[i].token_ids);
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
  BlockGenerator gen(m.spec(), m.source(), m.tokenizer(), be, o);
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
  BlockGenerator gen(m.spec(), m.source(), m.tokenizer(), be, o);
  const std::vector<SequenceRequest> reqs = requests(5, 1);
  std::vector<SequenceRequest> one = {reqs[0]};
  one[0].max_new_tokens = 2;
  CHECK_THROWS_WITH(gen.generate(one), Catch::Contains("--offload-dir"));
}

}  // namespace strata
