// The planner's memory rows are the executor's own accounting (runtime/planned_model.cpp): for
// any policy, each tier's linear form must bound the bytes the capacity check will count for it
// (engine/executor/capacity_check.h), or a planned policy could be refused by `run`. Checked on
// random policies, shapes and compressions of two preset geometries. (The forms are linear, so
// they are conservative: a buffer any off-device share may need is reserved for every such
// share; how loose they are is the planner's cost, not a correctness matter.)
#include <catch2/catch.hpp>

#include <random>

#include "engine/executor/capacity_check.h"
#include "planner/hardware_profile.h"
#include "runtime/planned_model.h"

using namespace strata;

namespace {

Placement random_placement(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // A third of the draws put everything on one tier: the regimes the LP enumerates.
  const int shape = std::uniform_int_distribution<int>(0, 5)(rng);
  if (shape < 3) {
    Placement p{0, 0, 0};
    (shape == 0 ? p.device : shape == 1 ? p.host : p.disk) = 1.0;
    return p;
  }
  const double a = u(rng), b = u(rng);
  const double lo = std::min(a, b), hi = std::max(a, b);
  return Placement{lo, hi - lo, 1.0 - hi};
}

Policy random_policy(std::mt19937& rng) {
  Policy p;
  p.gpu_batch_size = std::uniform_int_distribution<int64_t>(1, 24)(rng);
  p.num_gpu_batches = std::uniform_int_distribution<int64_t>(1, 4)(rng);
  p.weights = random_placement(rng);
  p.cache = random_placement(rng);
  p.activations = random_placement(rng);
  p.activations.host += p.activations.disk;  // the executor keeps hidden states off disk
  p.activations.disk = 0;
  const Compression options[] = {Compression::kNone, Compression::kQ4, Compression::kQ8};
  p.compress_weight = options[std::uniform_int_distribution<int>(0, 2)(rng)];
  p.compress_cache = options[std::uniform_int_distribution<int>(0, 2)(rng)];
  if (p.cache.device == 0 && std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
    p.attention = AttentionPlace::kHost;
  }
  validate(p);
  return p;
}

}  // namespace

TEST_CASE("executor memory forms bound the capacity check's bytes on every tier") {
  std::mt19937 rng(20261203);
  for (const char* preset : {"opt-125m", "opt-1.3b"}) {
    const PlannedModel model = planned_preset(preset);
    for (int trial = 0; trial < 60; ++trial) {
      const Policy policy = random_policy(rng);
      Workload load;
      load.prompt_len = std::uniform_int_distribution<int64_t>(1, 600)(rng);
      load.gen_len = std::uniform_int_distribution<int64_t>(1, 64)(rng);
      const PlanInputs in = planner_inputs(model, t4_flexgen_profile(), load);
      const std::vector<ExecutorMemoryForm> forms = in.executor_memory(policy);
      const TierBytes need = planned_tier_bytes(*model.model, model.formats(policy.compress_weight),
                                                policy, load.prompt_len, load.gen_len);
      REQUIRE(forms.size() == 3);
      for (const ExecutorMemoryForm& form : forms) {
        const double bound = form.at(policy);
        const double actual = double(need[static_cast<Place>(form.tier)].total());
        INFO(preset << " trial " << trial << " tier " << to_string(form.tier) << " batch "
                    << policy.gpu_batch_size << "x" << policy.num_gpu_batches << " prompt "
                    << load.prompt_len << " gen " << load.gen_len);
        CHECK(bound >= actual);
      }
    }
  }
}

TEST_CASE("the planner's embedding bytes: lookup tables from the table, as the geometry gives") {
  const HardwareProfile hw = t4_flexgen_profile();
  Workload load;
  load.prompt_len = 8;
  load.gen_len = 4;
  const auto bytes = [&](const char* preset) {
    return planner_inputs(planned_preset(preset), hw, load)
        .model_bytes(Compression::kQ4, Compression::kNone, CacheDType::kF16);
  };
  // OPT-125m, f16: the token table 50272 x 768 and the position table 2050 x 768.
  const ModelBytes opt = bytes("opt-125m");
  CHECK(opt.embed_lookup_weights == (50272 + 2050) * 768 * 2);
  CHECK(opt.embed_lookup_row_bytes == 2 * 768 * 2);
  CHECK(opt.embed_weights == opt.embed_lookup_weights);
  const ModelBytes geometry =
      model_bytes(planner_inputs(planned_preset("opt-125m"), hw, load).model,
                  Compression::kQ4, Compression::kNone);
  CHECK(geometry.embed_lookup_weights == opt.embed_lookup_weights);
  CHECK(geometry.embed_lookup_row_bytes == opt.embed_lookup_row_bytes);
  // OPT-350m projects its 512-wide embedding: project_in (1024 x 512) is read whole.
  const ModelBytes projected = bytes("opt-350m");
  CHECK(projected.embed_weights - projected.embed_lookup_weights == 1024 * 512 * 2);
  // Llama 3.1 8B, bf16: its 128256 x 4096 token table, no position table.
  const ModelBytes llama = bytes("llama-3.1-8b");
  CHECK(llama.embed_lookup_weights == uint64_t(128256) * 4096 * 2);
  CHECK(llama.embed_lookup_row_bytes == 4096 * 2);
}
