// Placement arithmetic of the executor: row splits within each tensor, KV rows per tier over a
// block, the capacity check before any work, and the I/O worker's ordering and error paths.
#include <catch2/catch.hpp>

#include <mutex>
#include <numeric>
#include <thread>

#include "engine/executor/capacity_check.h"
#include "engine/executor/executor_options.h"
#include "engine/executor/io_worker.h"
#include "engine/executor/kv_layout.h"
#include "engine/executor/weight_layout.h"
#include "engine/models/model_family.h"

#include <nlohmann/json.hpp>

namespace strata {
namespace {

ModelSpec opt_like(int64_t layers, int64_t hidden, int64_t ffn, int64_t vocab) {
  const nlohmann::json config = {{"model_type", "opt"},        {"vocab_size", vocab},
                                 {"hidden_size", hidden},      {"num_hidden_layers", layers},
                                 {"ffn_dim", ffn},             {"num_attention_heads", hidden / 64},
                                 {"max_position_embeddings", 2048}};
  return model_spec(parse_model_config(config, "opt-like"));
}

const DTypeOf kF16 = [](const std::string&) { return DType::f16; };

}  // namespace

TEST_CASE("executor layout: rows split in file order, adding up, within one row of the plan",
          "[executor]") {
  for (int64_t rows : {1, 7, 64, 4096, 50272}) {
    for (Placement s : {Placement{1, 0, 0}, Placement{0, 0, 1}, Placement{0.2, 0.3, 0.5},
                         Placement{0.5, 0.5, 0}, Placement{0.33, 0.33, 0.34}}) {
      const RowSplit r = split_rows(rows, s);
      CHECK(r.disk + r.host + r.device == rows);
      CHECK(r.disk >= 0);
      CHECK(r.host >= 0);
      CHECK(r.device >= 0);
      CHECK(std::abs(double(r.disk) - rows * s.disk) <= 1.0);
      CHECK(std::abs(double(r.device) - rows * s.device) <= 1.0);
    }
  }
}

TEST_CASE("executor layout: realised weight fractions match the policy (opt-1.3b geometry)",
          "[executor]") {
  const ModelSpec c = opt_like(24, 2048, 8192, 50272);
  const Placement s{0.25, 0.35, 0.40};
  const WeightLayout w = layout_weights(c.tensors, kF16, s);
  REQUIRE(w.stages.size() == size_t(c.config.num_layers + 2));
  const double total = double(w.device_home_bytes + w.host_home_bytes + w.disk_bytes);
  CHECK(std::abs(w.disk_bytes / total - 0.40) < 0.01);
  CHECK(std::abs(w.host_home_bytes / total - 0.35) < 0.01);
  CHECK(std::abs(w.device_home_bytes / total - 0.25) < 0.01);
  CHECK(!w.stages[1].device_resident);
  const WeightLayout all = layout_weights(c.tensors, kF16, {1, 0, 0});
  CHECK(all.stages[1].device_resident);
  CHECK(all.work_bytes == 0);
  CHECK(all.disk_bytes == 0);
}

TEST_CASE("executor layout: KV rows per tier over a block, regions 4096-aligned", "[executor]") {
  const KvLayout kv(4, kv_format(DType::f32, 2, 48), 37, {3, 3, 2}, Placement{0.25, 0.25, 0.5});
  CHECK(kv.seq_bytes() % 4096 == 0);
  CHECK(kv.slots() >= 37);
  int64_t per_tier[3] = {0, 0, 0};
  for (int64_t k = 0; k < 3; ++k) {
    int64_t next = 0;
    for (Place p : {Place::device, Place::host, Place::disk}) {
      const KvRows& r = kv.rows(k, p);
      CHECK(r.first == next);  // device rows, then host rows, then disk rows
      next += r.count;
      per_tier[int(p)] += r.count;
      CHECK(kv.region_offset(1, k, p) % 4096 == 0);
    }
    CHECK(next == kv.batch(k));
  }
  CHECK(per_tier[0] == 2);  // round(8 * 0.25)
  CHECK(per_tier[1] == 2);
  CHECK(per_tier[2] == 4);
  CHECK(kv.place_of(0, 0) == Place::device);
  CHECK(kv.place_of(2, 1) == Place::disk);
}

TEST_CASE("executor capacity: a policy that does not fit is refused with its numbers",
          "[executor]") {
  const ModelSpec c = opt_like(32, 4096, 16384, 50272);  // opt-6.7b geometry
  ExecutorOptions o;
  o.policy.gpu_batch_size = 8;
  o.policy.num_gpu_batches = 2;
  o.capacities.device = uint64_t(4) << 30;  // 4 GiB: 13 GiB of f16 weights do not fit
  o.capacities.host = uint64_t(64) << 30;
  CHECK_THROWS_AS(check_policy_fits(c, kF16, o, 512, 32), InputError);
  CHECK_THROWS_WITH(check_policy_fits(c, kF16, o, 512, 32),
                    Catch::Contains("device needs") && Catch::Contains("but has 4.00 GiB") &&
                        !Catch::Contains("host needs"));
  o.policy.weights = {0.1, 0.9, 0};
  o.policy.cache = {0, 1, 0};
  o.policy.activations = {0, 1, 0};
  CHECK_NOTHROW(check_policy_fits(c, kF16, o, 512, 32));
  o.capacities.host = uint64_t(8) << 30;
  CHECK_THROWS_WITH(check_policy_fits(c, kF16, o, 512, 32), Catch::Contains("host needs"));
  o.policy.weights = {0.1, 0.3, 0.6};
  o.capacities.disk = uint64_t(1) << 30;
  CHECK_THROWS_WITH(check_policy_fits(c, kF16, o, 512, 32), Catch::Contains("disk needs"));
  const TierBytes need = planned_tier_bytes(c, kF16, o.policy, 512, 32);
  CHECK(need[Place::disk].weights > need[Place::host].weights);
}

TEST_CASE("executor policy: shares and activations on disk are checked", "[executor]") {
  Policy p;
  p.weights = {0.5, 0.6, 0};
  CHECK_THROWS_WITH(validate_for_executor(p), Catch::Contains("weights fractions sum to"));
  p.weights = {1, 0, 0};
  p.activations = {0.5, 0, 0.5};
  CHECK_THROWS_WITH(validate_for_executor(p), Catch::Contains("activations on disk"));
  p.activations = {1, 0, 0};
  p.attention = AttentionPlace::kHost;
  CHECK_THROWS_WITH(validate_for_executor(p), Catch::Contains("cpu_attention"));
  p.cache = {0, 1, 0};
  CHECK_NOTHROW(validate_for_executor(p));
}

TEST_CASE("io worker: tasks run in order after their dependencies and errors reach the waiter",
          "[executor]") {
  for (Overlap ov : {Overlap::kOn, Overlap::kOff}) {
    IoWorker a("a", ov), b("b", ov);
    std::vector<int> order;
    std::mutex m;
    const auto note = [&](int i) {
      std::lock_guard<std::mutex> lock(m);
      order.push_back(i);
    };
    Event first = a.submit({}, [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      note(1);
    });
    Event second = b.submit({first}, [&] { note(2); });
    Event third = a.submit({}, [&] { note(3); });
    wait_for(second);
    wait_for(third);
    CHECK(order.size() == 3);
    CHECK(order[0] == 1);  // b's task waited for a's first; a ran its queue in order
    Event failed = a.submit({}, [] { throw Error("disk on fire"); });
    Event dependent = b.submit({failed}, [&] { note(4); });
    CHECK_THROWS_WITH(wait_for(dependent), Catch::Contains("disk on fire"));
    CHECK(order.size() == 3);  // the dependent task never ran
  }
}

}  // namespace strata
