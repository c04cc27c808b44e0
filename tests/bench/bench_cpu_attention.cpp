// A benchmark, not a test (docs/benchmarks.md section 11): one layer of the CPU backend's
// attention (engine/backend/cpu/cpu_attention_head.h) at OPT-1.3b geometry (32 heads of 64,
// batch 8): a 512-token prefill (the block path, GEMMs) and a decode step at 512 slots of context
// (the rows path), over an f16 and an f32 cache, on every instruction set this CPU runs and on
// 1 and 2 threads. Milliseconds per call, best of 5 (after one warm-up call), and the rate in
// GFLOP/s (4 · heads · head_dim per visible (query, slot) pair) or, for decode, the K/V bytes
// read per second.
//   build-dev/tests/strata_bench_cpu_attention
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "quant/compute_pool.h"
#include "quant/fp16.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

struct Layer {
  int64_t batch = 8, heads = 32, d = 64, slots = 516;
  int64_t t_new, first;
};

double best_ms(const Layer& l, DType cache, const quant::CpuCompute& cpu) {
  const int64_t e = l.heads * l.d;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> q(size_t(l.batch * l.t_new * e)), out(q.size());
  for (float& x : q) x = dist(rng);
  const size_t elems = size_t(l.batch * l.slots * e), bytes = elems * dtype_size(cache);
  std::vector<uint8_t> k(bytes), v(bytes);
  for (size_t i = 0; i < elems; ++i) {  // uniform in [-1, 1], stored as the cache's type
    for (std::vector<uint8_t>* c : {&k, &v}) {
      const float x = dist(rng);
      const uint16_t h = quant::f32_to_f16(x);
      if (cache == DType::f16) {
        std::memcpy(c->data() + 2 * i, &h, 2);
      } else {
        std::memcpy(c->data() + 4 * i, &x, 4);
      }
    }
  }
  std::vector<uint8_t> valid(size_t(l.batch * l.slots), 1);
  AttentionArgs a;
  a.q = Tensor(q.data(), DType::f32, {l.batch, l.t_new, e});
  a.k_cache = Tensor(k.data(), cache, {l.batch, l.slots, e});
  a.v_cache = Tensor(v.data(), cache, {l.batch, l.slots, e});
  a.key_valid = valid.data();
  a.first_query_slot = l.first;
  a.num_heads = l.heads;
  a.scale = 0.125f;
  a.out = Tensor(out.data(), DType::f32, {l.batch, l.t_new, e});
  double best = 1e30;
  for (int run = 0; run < 6; ++run) {
    const auto start = Clock::now();
    dense_attention_cpu(a, AttentionPart{}, cpu);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (run > 0) best = std::min(best, ms);
  }
  return best;
}

}  // namespace
}  // namespace strata

int main() {
  using namespace strata;
  const Layer prefill{8, 32, 64, 516, 512, 0}, decode{8, 32, 64, 516, 1, 512};
  // Visible (query, slot) pairs: causal prefill t + 1 per query; decode 513.
  const double prefill_pairs = 8.0 * 512 * 513 / 2, decode_slots = 8.0 * 513;
  std::printf("%-8s %-4s %-7s %12s %12s %12s %12s\n", "isa", "kv", "threads", "prefill ms",
              "GFLOP/s", "decode ms", "K/V GB/s");
  for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
    for (DType cache : {DType::f16, DType::f32}) {
      for (int threads : {1, 2}) {
        quant::ComputePool pool(threads);
        const quant::CpuCompute cpu{isa, threads, &pool};
        const double p = best_ms(prefill, cache, cpu), dm = best_ms(decode, cache, cpu);
        const double flops = 4.0 * 32 * 64 * prefill_pairs;
        const double kv_bytes = 2.0 * decode_slots * 32 * 64 * double(dtype_size(cache));
        std::printf("%-8s %-4s %-7d %12.2f %12.1f %12.3f %12.2f\n", quant::cpu_isa_name(isa),
                    std::string(dtype_name(cache)).c_str(), threads, p, flops / p / 1e6, dm, kv_bytes / dm / 1e6);
      }
    }
  }
  return 0;
}
