// The executor's device contract, checked on the CPU (what a GPU backend relies on): with a
// device whose memory the host may not touch directly (separate_device_memory.h), every placement
// still gives the all-in-memory tokens — so no tier's bytes reach a device op except through a
// copy queue, no copy is read before its queue is finished, and every op gets device tensors.
#include <catch2/catch.hpp>

#include "executor_invariance_support.h"
#include "separate_device_memory.h"

namespace strata {

using namespace ut;  // requests, reference, executor, describe, check_same, GridCase

TEST_CASE("executor: a device the host cannot address gives the in-memory tokens everywhere",
          "[executor][device]") {
  ut::TempDir tmp;
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const ut::TinyOptModel m(tmp / "m", {.proj = 32, .seed = 91});
  const ut::TinyOptModel mq(tmp / "mq", {.post_ln = true, .dtype = DType::f16,
                                         .quant = TensorFormat(DType::q4, 64), .seed = 92});
  const std::vector<SequenceRequest> reqs = requests(93, 9);
  const Placement on_device{1, 0, 0}, on_host{0, 1, 0}, on_disk{0, 0, 1};
  const std::vector<GridCase> placements = {
      {on_device, on_device, 1, AttentionPlace::kDevice, DType::f16},
      {{0.2, 0.5, 0.3}, {0.3, 0.3, 0.4}, 0, AttentionPlace::kDevice, DType::bf16},
      {on_host, on_disk, 1, AttentionPlace::kHost, DType::f32},
      {{0, 0.5, 0.5}, {0, 0.5, 0.5}, 0, AttentionPlace::kHost, DType::q4},
      {on_disk, {0.5, 0.5, 0}, 1, AttentionPlace::kDevice, DType::q8},
      {{0.5, 0.5, 0}, on_device, 0, AttentionPlace::kDevice, DType::q4},
  };
  for (const ut::TinyOptModel* model : {&m, &mq}) {
    for (const auto& [g, k] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 2}}) {
      for (const GridCase& p : placements) {
        for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
          const ExecutorOptions o = placement_options(p, g, k, ov, offload);
          SeparateMemoryBackend be;
          ExecutorReport report;
          const std::vector<SequenceResult> got = executor(*model, reqs, o, &report, &be);
          check_same(reference(*model, reqs, g, p.cache_dtype), got, describe(o.policy));
          const SeparateDeviceMemory& memory = be.separate_memory();
          CHECK(memory.problems() == std::vector<std::string>{});
          // Every byte the report counts crossed a copy queue: loads (plus the device rows of
          // the weights, read once through a host bounce buffer: at most their aligned
          // placement) and stores exactly; logits leave through the compute queue.
          CHECK(memory.copied(CopyQueue::load) >= report.bytes.h2d);
          CHECK(memory.copied(CopyQueue::load) <=
                report.bytes.h2d + report.placed[Place::device].weights);
          CHECK(memory.copied(CopyQueue::store) == report.bytes.d2h);
          CHECK(memory.copied(CopyQueue::compute) > 0);
        }
      }
    }
  }
}

TEST_CASE("executor: the separate-memory double catches a host tensor given to a device op",
          "[executor][device]") {
  // The double must be able to fail: a host buffer handed to an op is reported, and a copy on
  // the store queue into the device is a wrong direction.
  SeparateMemoryBackend be;
  std::vector<float> host(16, 1.0f);
  MemoryBlock device = be.memory().allocate_device(16 * sizeof(float));
  Tensor on_host(host.data(), DType::f32, {4, 4});
  Tensor on_device(device.data(), DType::f32, {4, 4}, Place::device);
  be.add(on_host, on_device);  // reported, and computed: device = 0 + 1
  be.memory().copy(CopyQueue::store, device.data(), host.data(), 16);
  const std::vector<std::string> problems =
      static_cast<const SeparateMemoryBackend&>(be).separate_memory().problems();
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "a host tensor [4, 4] f32 handed to a device op");
  CHECK(problems[1] == "a store copy from the host to the device");
  // A copy lands only when its queue is finished, as on a stream.
  host[0] = 5.0f;
  be.memory().copy(CopyQueue::load, device.data(), host.data(), sizeof(float));
  CHECK(device.data<float>()[0] == 1.0f);
  be.memory().finish(CopyQueue::load);
  CHECK(device.data<float>()[0] == 5.0f);
}

}  // namespace strata
