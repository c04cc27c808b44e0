// Cost model terms checked by hand on a toy model with round hardware numbers, the throughput
// definitions, and agreement between the LP's memory rows and the independent check.
#include <catch2/catch.hpp>

#include <random>

#include "planner/cost_model.h"
#include "planner/memory_model.h"
#include "planner/policy_check.h"
#include "tests/planner/planner_test_util.h"

namespace strata {
namespace {

// 2 layers, hidden 64 (one head of 64), ffn 128: W = 4*64*64*2 + 2*64*128*2 + (9*64+128)*2
// = 66944 bytes, C = 2*64*2 = 256 bytes, A = 64*2 = 128 bytes, 65536 FLOPs per token.
PlanInputs toy_inputs() {
  PlanInputs in;
  in.model.name = "toy";
  in.model.num_layers = 2;
  in.model.hidden = 64;
  in.model.num_heads = 1;
  in.model.ffn = 128;
  in.model.vocab = 100;
  in.model.max_positions = 100;
  HardwareProfile& hw = in.hardware;
  hw.name = "round";
  hw.host_to_device_bytes_per_s = 1e9;
  hw.device_to_host_bytes_per_s = 1e9;
  hw.disk_read_bytes_per_s = 1e8;
  hw.disk_write_bytes_per_s = 1e8;
  hw.device_gemm_prefill_flops = 1e12;
  hw.device_gemm_decode_flops = 1e11;
  hw.device_memory_bytes_per_s = 1e10;
  hw.device_attention_bytes_per_s = 1e10;
  hw.host_attention_bytes_per_s = 1e9;
  hw.cpu_flops = 1e10;
  hw.dram_bytes_per_s = 1e10;
  hw.device_capacity_bytes = hw.host_capacity_bytes = hw.disk_capacity_bytes = 1e12;
  in.workload.prompt_len = 10;
  in.workload.gen_len = 3;  // decode steps 1 and 2, cached 10 and 11 tokens
  return in;
}

Policy toy_policy() {
  Policy p;
  p.gpu_batch_size = 2;
  p.num_gpu_batches = 3;  // N = 6
  return p;
}

double busy(const Stage& st, Resource r, const Policy& p) {
  return st.busy[static_cast<int>(r)].at(p);
}

TEST_CASE("toy sizes by hand", "[planner]") {
  const BlockSizes z = block_sizes(toy_inputs(), toy_policy());
  CHECK(z.layer_weights == 66944);
  CHECK(z.kv_token == 256);
  CHECK(z.act_token == 128);
  CHECK(z.bytes.layer_flops_per_token == 65536);
  CHECK(z.block == 6);
}

TEST_CASE("decode layer terms by hand", "[planner]") {
  const PlanInputs in = toy_inputs();
  Policy p = toy_policy();
  const CostModel model(in, p);
  // prefill layer, prefill head, 2 decode steps, decode head, prefill and decode embedding
  REQUIRE(model.stages().size() == 7);
  const Stage& step1 = model.stages()[2];
  CHECK(step1.name == "decode layer, steps 1-1");
  CHECK(step1.count == 2);  // one step x 2 layers
  // All on the device: 3 micro-batches x max(2*65536/1e11, 66944/1e10) (weight-read bound)
  // + attention over 6 x 11 positions x 256 bytes / 1e10.
  const double compute = 3 * 6.6944e-6 + 6 * 11 * 256 / 1e10;
  CHECK(busy(step1, Resource::kCompute, p) == Approx(compute));
  CHECK(busy(step1, Resource::kHostToDevice, p) == 0);
  CHECK(model.stage_seconds(step1, p) == Approx(compute));

  p.weights = {0, 1, 0};  // next layer's weights cross PCIe once per layer: 66944 / 1e9
  CHECK(busy(step1, Resource::kHostToDevice, p) == Approx(6.6944e-5));
  CHECK(model.stage_seconds(step1, p) == Approx(6.6944e-5));
  p.weights = {0, 0, 1};  // ... and are read from disk first: 66944 / 1e8
  CHECK(busy(step1, Resource::kDiskRead, p) == Approx(6.6944e-4));
  CHECK(model.stage_seconds(step1, p) == Approx(6.6944e-4));

  p.weights = {1, 0, 0};
  p.cache = {0, 1, 0};  // device attention loads 6 x 10 cached tokens, stores 6 new ones
  CHECK(busy(step1, Resource::kHostToDevice, p) == Approx(6 * 10 * 256 / 1e9));
  CHECK(busy(step1, Resource::kDeviceToHost, p) == Approx(6 * 256 / 1e9));
  p.cache = {0, 0, 1};
  CHECK(busy(step1, Resource::kDiskRead, p) == Approx(6 * 10 * 256 / 1e8));
  // Each sequence's new K row and V row write whole 4096-byte blocks: 256 + 2*4095 bytes.
  CHECK(busy(step1, Resource::kDiskWrite, p) == Approx(6 * (256 + 2 * 4095) / 1e8));

  p.activations = {0, 1, 0};  // hidden states in and out of their home, 6 x 128 bytes each way
  CHECK(busy(step1, Resource::kHostToDevice, p) == Approx(6 * 10 * 256 / 1e9 + 6 * 128 / 1e9));
}

TEST_CASE("the embedding stage reads the rows of its step's tokens, a disk page each at least",
          "[planner]") {
  const PlanInputs in = toy_inputs();
  Policy p = toy_policy();
  // OPT's token table 100 x 64 and position table (100 + 2) x 64, f16: 25856 bytes, all of them
  // lookup tables; a row of each, 256 bytes, costs a 4096-byte page.
  const BlockSizes z = block_sizes(in, p);
  CHECK(z.embed_weights == 25856);
  CHECK(z.bytes.embed_lookup_weights == 25856);
  CHECK(z.bytes.embed_lookup_row_bytes == 256);
  const CostModel model(in, p);
  const Stage& prefill = model.stages()[5];
  const Stage& decode = model.stages()[6];
  CHECK(prefill.kind == StageKind::kEmbed);
  CHECK(prefill.phase == Phase::kPrefill);
  CHECK(prefill.count == 1);
  CHECK(decode.phase == Phase::kDecode);
  CHECK(decode.count == 2);  // gen_len 3: the prefill's step and two decode steps
  p.weights = {0, 0, 1};  // read from disk (1e8) and copied to the device (1e9) every step
  // Decode: 6 sequences' rows, 6 pages. Prefill: 6 x 10 tokens' pages exceed the tables.
  CHECK(busy(decode, Resource::kDiskRead, p) == Approx(6 * 4096 / 1e8));
  CHECK(busy(decode, Resource::kHostToDevice, p) == Approx(6 * 4096 / 1e9));
  CHECK(busy(prefill, Resource::kDiskRead, p) == Approx(25856 / 1e8));
  p.weights = {1, 0, 0};  // resident: nothing moves
  CHECK(busy(decode, Resource::kDiskRead, p) == 0);
  CHECK(busy(decode, Resource::kHostToDevice, p) == 0);
}

TEST_CASE("serial GEMM weight passes add to the multiply", "[planner]") {
  PlanInputs in = toy_inputs();
  in.hardware.gemm_weight_pass = GemmWeightPass::kSerial;
  const Policy p = toy_policy();
  const CostModel model(in, p);
  // Decode, 2 rows: the multiply at the decode-shaped rate, 2*65536/1e11, + the weight pass
  // 66944/1e10, x 3 micro-batches; + attention.
  const Stage& step1 = model.stages()[2];
  CHECK(busy(step1, Resource::kCompute, p) ==
        Approx(3 * (1.31072e-6 + 6.6944e-6) + 6 * 11 * 256 / 1e10));
  // Prefill, 20 rows: still the decode kernel's (up to kDecodeKernelMaxRows = 64 rows),
  // 20*65536/1e11; + causal attention 6*2*10*11*64/1e12.
  static_assert(kDecodeKernelMaxRows == 64);
  const Stage& prefill = model.stages()[0];
  CHECK(busy(prefill, Resource::kCompute, p) ==
        Approx(3 * (1.31072e-5 + 6.6944e-6) + 6 * 2 * 10 * 11 * 64 / 1e12));
  // Many rows run at the prefill rate: 2 x 1000 rows of prefill.
  PlanInputs long_prompt = in;
  long_prompt.workload.prompt_len = 1000;
  long_prompt.model.max_positions = 2000;
  const CostModel wide(long_prompt, p);
  CHECK(busy(wide.stages()[0], Resource::kCompute, p) ==
        Approx(3 * (2000 * 65536 / 1e12 + 6.6944e-6) + 6 * 2 * 1000 * 1001.0 * 64 / 1e12));
  // Overlapped passes take the longer term only (the weight pass here): never slower.
  const CostModel overlapped(toy_inputs(), p);
  CHECK(busy(overlapped.stages()[0], Resource::kCompute, p) ==
        Approx(3 * 6.6944e-6 + 6 * 2 * 10 * 11 * 64 / 1e12));
  CHECK(overlapped.predict(p).total_seconds < model.predict(p).total_seconds);
}

TEST_CASE("overlapped disk transfers take io_compute_share of their time from compute",
          "[planner]") {
  PlanInputs in = toy_inputs();
  in.hardware.io_compute_share = 0.5;
  Policy p = toy_policy();
  p.weights = {0, 0, 1};  // decode step 1 reads 66944 bytes from disk at 1e8
  const CostModel model(in, p);
  const Stage& step1 = model.stages()[2];
  const double alone = 3 * 6.6944e-6 + 6 * 11 * 256 / 1e10;  // as in "decode layer terms"
  CHECK(busy(step1, Resource::kCompute, p) == Approx(alone + 0.5 * 6.6944e-4));
  CHECK(busy(step1, Resource::kDiskRead, p) == Approx(6.6944e-4));
  // All on the device: no disk traffic, no extra compute.
  p.weights = {1, 0, 0};
  CHECK(busy(step1, Resource::kCompute, p) == Approx(alone));
  // Without overlap the disk time is summed once, not charged again to compute.
  Policy serial = toy_policy();
  serial.weights = {0, 0, 1};
  serial.overlap = Overlap::kOff;
  const CostModel summed(in, serial);
  CHECK(busy(summed.stages()[2], Resource::kCompute, serial) == Approx(alone));
}

TEST_CASE("overlapped copies take copy_compute_share of their time from compute", "[planner]") {
  PlanInputs in = toy_inputs();
  in.hardware.copy_compute_share = 0.25;
  Policy p = toy_policy();
  p.weights = {0, 1, 0};  // decode step 1 copies 66944 bytes host->device at 1e9
  const CostModel model(in, p);
  const Stage& step1 = model.stages()[2];
  const double alone = 3 * 6.6944e-6 + 6 * 11 * 256 / 1e10;  // as in "decode layer terms"
  const double copies = busy(step1, Resource::kHostToDevice, p) +
                        busy(step1, Resource::kDeviceToHost, p);
  CHECK(copies == Approx(6.6944e-5));  // weights only: the cache and activations stay
  CHECK(busy(step1, Resource::kCompute, p) == Approx(alone + 0.25 * copies));
  // Without overlap the copies are summed once, not charged again to compute.
  p.overlap = Overlap::kOff;
  CHECK(busy(CostModel(in, p).stages()[2], Resource::kCompute, p) == Approx(alone));
}

TEST_CASE("host attention terms by hand", "[planner]") {
  const PlanInputs in = toy_inputs();
  Policy p = toy_policy();
  p.attention = AttentionPlace::kHost;
  p.cache = {0, 1, 0};
  const CostModel model(in, p);
  const Stage& step1 = model.stages()[2];
  // GEMMs as before plus the host scan of 6 x 11 x 256 bytes at 1e9 (above the FLOP bound
  // 6 x 4 x 11 x 64 / 1e10); q + new K/V go down, the attention output comes up.
  CHECK(busy(step1, Resource::kCompute, p) == Approx(3 * 6.6944e-6 + 6 * 11 * 256 / 1e9));
  CHECK(busy(step1, Resource::kDeviceToHost, p) == Approx(6 * (128 + 256) / 1e9));
  CHECK(busy(step1, Resource::kHostToDevice, p) == Approx(6 * 128 / 1e9));
}

TEST_CASE("throughputs follow FlexGen's definitions", "[planner]") {
  const PlanInputs in = toy_inputs();
  Policy p = toy_policy();
  p.weights = {0.5, 0.25, 0.25};
  const CostModel model(in, p);
  const Prediction r = model.predict(p);
  double prefill = 0, decode = 0;
  for (const Stage& st : model.stages()) {
    (st.phase == Phase::kPrefill ? prefill : decode) += st.count * model.stage_seconds(st, p);
  }
  CHECK(r.prefill_seconds == Approx(prefill));
  CHECK(r.decode_seconds == Approx(decode));
  CHECK(r.prefill_tokens_per_s == Approx(6 * 10 / prefill));
  CHECK(r.decode_tokens_per_s == Approx(6 * 2 / decode));
  CHECK(r.total_tokens_per_s == Approx(6 * 3 / (prefill + decode)));
  CHECK(r.seconds_per_token == Approx((prefill + decode) / 18));
  // Without overlap every stage takes the sum of its resources: never faster.
  Policy serial = p;
  serial.overlap = Overlap::kOff;
  CHECK(CostModel(in, serial).predict(serial).total_seconds >= r.total_seconds);
}

TEST_CASE("compression shortens transfers of offloaded data", "[planner]") {
  const PlanInputs in = test::t4_inputs("opt-30b", 512, 32);
  Policy p;
  p.gpu_batch_size = 16;
  p.num_gpu_batches = 4;
  p.weights = {0, 1, 0};
  p.cache = {0, 1, 0};
  const double plain = predict(in, p).busy_seconds[static_cast<int>(Resource::kHostToDevice)];
  p.compress_weight = p.compress_cache = Compression::kQ4;
  const double q4 = predict(in, p).busy_seconds[static_cast<int>(Resource::kHostToDevice)];
  CHECK(q4 < plain / 3.0);  // 36 bytes per 64 values instead of 128 (the LM head stays fp16)
}

TEST_CASE("LP memory rows agree with the independent check", "[planner]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto random_placement = [&](bool device_allowed) {
    double a = device_allowed ? u(rng) : 0.0, b = u(rng), c = u(rng);
    const double s = a + b + c;
    return Placement{a / s, b / s, c / s};
  };
  for (const char* model : {"opt-125m", "opt-350m", "opt-30b"}) {
    for (int trial = 0; trial < 20; ++trial) {
      const PlanInputs in = test::t4_inputs(model, 16 + trial * 37, 1 + trial * 5);
      Policy p;
      p.gpu_batch_size = 1 + trial % 7;
      p.num_gpu_batches = 1 + trial % 3;
      p.attention = trial % 2 ? AttentionPlace::kHost : AttentionPlace::kDevice;
      p.compress_weight = trial % 3 ? Compression::kQ4 : Compression::kNone;
      p.compress_cache = trial % 4 ? Compression::kQ8 : Compression::kNone;
      p.weights = random_placement(true);
      p.cache = random_placement(p.attention == AttentionPlace::kDevice);
      p.activations = random_placement(true);
      const MemoryBreakdown m = memory_breakdown(in, p);
      for (const PeakForm& f : peak_memory_forms(in, p)) {
        const int i = static_cast<int>(f.tier);
        const PlannedTierBytes& t = f.phase == Phase::kPrefill ? m.prefill[i] : m.decode[i];
        INFO(model << " trial " << trial << " tier " << to_string(f.tier));
        CHECK(f.bytes.at(p) == Approx(t.total()).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("ops and elementwise traffic are charged per layer and per head", "[planner]") {
  const Policy p = toy_policy();
  const CostModel plain(toy_inputs(), p);
  PlanInputs in = toy_inputs();
  in.hardware.device_op_seconds = 1e-6;
  in.hardware.device_elementwise_bytes_per_s = 1e9;
  const CostModel charged(in, p);
  // activation_bytes_per_element 2 (the default); floats per token 23*64 + 4*128 = 1984.
  const double per_row = 1984.0 * 2 / 1e9;
  auto extra = [&](int stage) {
    return busy(charged.stages()[size_t(stage)], Resource::kCompute, p) -
           busy(plain.stages()[size_t(stage)], Resource::kCompute, p);
  };
  // Prefill layer: 3 micro-batches x (14 ops + 2 sequences x 10 tokens of traffic).
  CHECK(extra(0) == Approx(3 * (14e-6 + 20 * per_row)));
  // Decode layer: 3 x (14 ops + 2 rows).
  CHECK(extra(2) == Approx(3 * (14e-6 + 2 * per_row)));
  // LM head: 3 x (3 ops + 2 sequences x (2*64 + 100 vocab) floats).
  CHECK(extra(1) == Approx(3 * (3e-6 + 2 * 228.0 * 2 / 1e9)));
  CHECK(extra(3) == Approx(extra(2)));  // every decode step alike
  CHECK(predict(in, p).total_seconds > predict(toy_inputs(), p).total_seconds);
}

TEST_CASE("products of fewer than kLargePrefillRows rows use the small prefill rate", "[planner]") {
  const Policy p = toy_policy();  // 2 sequences x 10 tokens: 20-row prefill products
  PlanInputs in = toy_inputs();
  in.workload.prompt_len = 50;  // 100 rows: above kDecodeKernelMaxRows, below kLargePrefillRows
  in.model.max_positions = 200;
  const double plain = busy(CostModel(in, p).stages()[0], Resource::kCompute, p);
  in.hardware.device_gemm_small_prefill_flops = 0.5e12;  // half the prefill rate
  const double slower = busy(CostModel(in, p).stages()[0], Resource::kCompute, p);
  // Overlapped GEMMs: max(100 * 65536 / F, 66944 / 1e10) x 3 micro-batches; attention
  // 6 * 2 * 50 * 51 * 64 / F as well.
  const double attention = 6.0 * 2 * 50 * 51 * 64;
  CHECK(plain == Approx(3 * std::max(100 * 65536 / 1e12, 6.6944e-6) + attention / 1e12));
  CHECK(slower == Approx(3 * std::max(100 * 65536 / 0.5e12, 6.6944e-6) + attention / 0.5e12));
  // Serial passes too, above kDecodeKernelMaxRows.
  in.hardware.gemm_weight_pass = GemmWeightPass::kSerial;
  CHECK(busy(CostModel(in, p).stages()[0], Resource::kCompute, p) ==
        Approx(3 * (100 * 65536 / 0.5e12 + 6.6944e-6) + attention / 0.5e12));
  // From kLargePrefillRows rows on, the prefill rate again.
  in.workload.prompt_len = 300;  // 600 rows
  in.model.max_positions = 400;
  const double large = 6.0 * 2 * 300 * 301 * 64;
  CHECK(busy(CostModel(in, p).stages()[0], Resource::kCompute, p) ==
        Approx(3 * (600 * 65536 / 1e12 + 6.6944e-6) + large / 1e12));
}

}  // namespace
}  // namespace strata
