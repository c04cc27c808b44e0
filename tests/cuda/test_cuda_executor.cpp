// The offloading executor on the CUDA backend (issue 6 point 3): its device memory and copy
// queues, and the invariance grid — the greedy tokens of the CPU all-in-memory path under every
// placement, wherever the CPU reference's top-1 margin exceeds fp16 noise (store_rows against
// the reference bytes is an op: tests/ops). Own main: without a GPU it exits 77 (skipped).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_check.h"
#include "executor_invariance_support.h"
#include "gpu_test_main.h"

namespace strata {
namespace {

using namespace ut;  // requests, reference, executor, describe, GridCase, placement_options

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// The CPU all-in-memory model's next token after `ids` and its margin over the runner-up.
struct NextToken {
  int32_t token;
  float margin;
  float scale;  // the largest |logit|: fp16 noise is about scale * 2^-11
};
NextToken cpu_next(const InMemoryModel& model, const std::vector<int32_t>& ids) {
  CpuBackend be;
  const ModelConfig& c = model.config();
  const int64_t n = int64_t(ids.size());
  // The grid's cache: f16, the default (GridCase).
  KvCache cache(c.num_layers, 1, n, kv_format(DType::f16, c.num_kv_heads, c.head_dim));
  std::vector<int32_t> positions(ids.size());
  std::iota(positions.begin(), positions.end(), 0);
  std::vector<uint8_t> valid(ids.size(), 1);
  const StepInput in{1, n, ids.data(), positions.data(), 0, valid.data()};
  std::vector<float> logits(size_t(c.vocab_size));
  model.forward(be, in, cache, Tensor(logits.data(), DType::f32, {1, c.vocab_size}));
  std::vector<float> sorted = logits;
  std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
  float scale = 0.0f;
  for (float x : logits) scale = std::max(scale, std::fabs(x));
  const auto top = std::max_element(logits.begin(), logits.end());
  return {int32_t(top - logits.begin()), sorted[0] - sorted[1], scale};
}

// CUDA tokens equal the CPU reference's up to the first position where the reference's margin
// is within fp16 noise (there either token is a correct greedy choice and the rest may differ).
// Returns how many requests diverged at such a near-tie.
int check_same_up_to_ties(const InMemoryModel& model, const std::vector<SequenceRequest>& reqs,
                          const std::vector<SequenceResult>& want,
                          const std::vector<SequenceResult>& got, const std::string& what) {
  INFO(what);
  REQUIRE(want.size() == got.size());
  int ties = 0;
  for (size_t r = 0; r < want.size(); ++r) {
    const std::vector<int32_t>& a = want[r].token_ids;
    const std::vector<int32_t>& b = got[r].token_ids;
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    if (i == a.size() && i == b.size()) continue;
    INFO("request " << r << " differs at generated token " << i);
    REQUIRE(i < a.size());
    REQUIRE(i < b.size());  // same length up to a divergence: a sequence stops only at eos/length
    std::vector<int32_t> prefix = reqs[r].prompt_ids;
    prefix.insert(prefix.end(), a.begin(), a.begin() + long(i));
    const NextToken next = cpu_next(model, prefix);
    CHECK(next.token == a[i]);
    CHECK(next.margin <= next.scale * 0x1p-11f * 4);
    ++ties;
  }
  return ties;
}

}  // namespace

TEST_CASE("CudaDeviceMemory: zeroed device blocks, aligned pinned host blocks, copies per queue",
          "[cuda][executor]") {
  CudaBackend be;
  DeviceMemory& memory = be.memory();
  CHECK_FALSE(memory.host_addressable());
  const size_t n = size_t(1) << 20;
  MemoryBlock device = memory.allocate_device(n * sizeof(float));
  MemoryBlock host = memory.allocate_host(n * sizeof(float));
  CHECK(reinterpret_cast<uintptr_t>(host.data()) % 4096 == 0);
  std::vector<float> back(n, -1.0f);
  memory.copy(CopyQueue::store, back.data(), device.data(), n * sizeof(float));
  memory.finish(CopyQueue::store);
  CHECK(std::all_of(back.begin(), back.end(), [](float x) { return x == 0.0f; }));
  const std::vector<float> data = random_floats(n, 7);
  std::copy(data.begin(), data.end(), host.data<float>());
  memory.copy(CopyQueue::load, device.data(), host.data(), n * sizeof(float));
  memory.finish(CopyQueue::load);
  // Half of it device→device on the compute queue, then back to pageable memory.
  memory.copy(CopyQueue::compute, device.data<float>() + n / 2, device.data(), n / 2 * 4);
  memory.copy(CopyQueue::compute, back.data(), device.data(), n * sizeof(float));
  memory.finish(CopyQueue::compute);
  CHECK(std::equal(back.begin(), back.begin() + long(n / 2), data.begin()));
  CHECK(std::equal(back.begin() + long(n / 2), back.end(), data.begin()));
  CHECK(memory.allocate_device(0).data() == nullptr);
}

TEST_CASE("executor on CUDA: the CPU all-in-memory tokens under every placement",
          "[cuda][executor]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  // fp32 weights: cuBLAS SGEMM without TF32, so CUDA and CPU differ by fp32 rounding, and by
  // one f16 step of a cached K or V element where that rounding straddles an f16 boundary (the
  // grid runs the default f16 cache on both): within the near-tie allowance below.
  const ut::TinyOptModel m(tmp / "m", {.proj = 32, .seed = 101});
  const std::vector<SequenceRequest> reqs = requests(103, 12);
  const Placement on_device{1, 0, 0}, on_host{0, 1, 0}, on_disk{0, 0, 1};
  const std::vector<GridCase> placements = {
      {on_device, on_device, 1, AttentionPlace::kDevice},
      {{0.2, 0.5, 0.3}, {0.3, 0.3, 0.4}, 0, AttentionPlace::kDevice},
      {on_host, on_disk, 1, AttentionPlace::kHost},
      {{0, 0.5, 0.5}, {0, 0.5, 0.5}, 0, AttentionPlace::kHost},
      {on_disk, {0.5, 0.5, 0}, 1, AttentionPlace::kDevice},
  };
  int runs = 0, ties = 0;
  for (const auto& [g, k] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {4, 3}}) {
    const std::vector<SequenceResult> want = reference(m, reqs, g);
    for (const GridCase& p : placements) {
      for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
        const ExecutorOptions o = placement_options(p, g, k, ov, offload);
        CudaBackend be;
        ExecutorReport report;
        const std::vector<SequenceResult> got = executor(m, reqs, o, &report, &be);
        ties += check_same_up_to_ties(m.model(), reqs, want, got, describe(o.policy));
        if (p.weights.device < 1) CHECK(report.bytes.h2d > 0);
        ++runs;
      }
    }
  }
  CHECK(runs == 20);
  // Near-ties are rare on a random model; many would mean a real difference hiding as noise.
  CHECK(ties <= runs * int(reqs.size()) / 20);
}

}  // namespace strata

int main(int argc, char** argv) {
  return strata::cut::gpu_test_main(argc, argv, [](const char* why) {
    std::printf("no GPU (%s): skipped\n", why);
    return 77;
  });
}
