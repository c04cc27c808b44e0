// The model-family seam: a family defined only here (sandwich_family.h) runs through the
// executor's invariance grid unchanged, and through the capacity check and the store layout.
#include <catch2/catch.hpp>

#include "engine/executor/capacity_check.h"
#include "executor_invariance_support.h"
#include "sandwich_family.h"

namespace strata {

using namespace ut;

TEST_CASE("a test-only family runs the executor's invariance grid", "[executor][family]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), sandwich_spec(2, 48, 4, 96), {.seed = 9});
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const std::vector<SequenceRequest> reqs = requests(21, 9);
  // The reference is a real model: its greedy tokens are not all alike.
  const std::vector<SequenceResult> want = reference(m, reqs, 1);
  std::set<std::vector<int32_t>> distinct;
  for (const SequenceResult& r : want) distinct.insert(r.token_ids);
  CHECK(distinct.size() > 2);
  CHECK(invariance_grid(m, reqs, offload) >= 100);
}

TEST_CASE("a test-only family: q8 weights and its store layout through the executor",
          "[executor][family]") {
  ut::TempDir tmp;
  const ut::TinyOptModel m(tmp.path(), sandwich_spec(3, 32, 2, 64),
                           {.quant = TensorFormat(DType::q8, 32), .seed = 4});
  const std::filesystem::path offload = tmp / "offload";
  std::filesystem::create_directories(offload);
  const std::vector<SequenceRequest> reqs = requests(5, 6);
  ExecutorOptions o;
  o.policy.gpu_batch_size = 2;
  o.policy.num_gpu_batches = 3;
  o.policy.weights = {0.2, 0.4, 0.4};
  o.policy.cache = {0, 0.5, 0.5};
  o.policy.attention = AttentionPlace::kHost;
  o.offload_dir = offload;
  check_same(reference(m, reqs, 2), executor(m, reqs, o, nullptr), describe(o.policy));
  CHECK(std::filesystem::exists(m.store_dir() / "layer_002.bin"));
  // The capacity check counts its tensors: the q8 store's bytes, not dense ones.
  const TierBytes q8 = planned_tier_bytes(*m.spec(), WeightTiers::source_formats(*m.source()),
                                          o.policy, 16, 8);
  const TierBytes dense = planned_tier_bytes(
      *m.spec(), [](const std::string&) { return TensorFormat(DType::f32); }, o.policy, 16, 8);
  CHECK(q8[Place::disk].weights < dense[Place::disk].weights);
}

}  // namespace strata
