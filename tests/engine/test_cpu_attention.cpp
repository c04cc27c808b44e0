// The CPU backend's attention paths (engine/backend/cpu/cpu_attention_head.h) on every instruction
// set this CPU runs, over f32, f16 and bf16 caches, with grouped heads, windows, masked slots,
// queries that see no slot and NaN garbage in every slot no query may read:
//   - the rows path (T < kBlockQueries) and the block path (GEMMs) around the threshold and across
//     several blocks of queries, against the float64 reference over the stored values;
//   - the same bits on 1, 2 and 3 threads (tasks share nothing; the thread count never changes
//     the arithmetic), on every ISA.
// Tolerance: normalized error 1e-5 (fp32 arithmetic), 3e-5 over thousands of slots.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "ops/attention_args.h"
#include "ops/reference/attention_reference.h"
#include "quant/compute_pool.h"
#include "quant/fp16.h"

namespace strata {
namespace {

// The case's K and V stored as `type` ([b, s, kv_e] elements), and the values stored, decoded.
struct StoredCache {
  DType type;
  std::vector<float> k32, v32;     // f32 storage, or the decoded halves
  std::vector<uint16_t> k16, v16;  // f16 / bf16 storage
};

uint16_t to_half(float x, DType t) {
  if (t == DType::f16) return quant::f32_to_f16(x);
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return uint16_t(bits >> 16);  // truncation: any bf16 value is a fine test value
}

float from_half(uint16_t h, DType t) {  // exact; NaN stays NaN
  return t == DType::f16 ? quant::f16_to_f32(h) : quant::bits_as_f32(uint32_t(h) << 16);
}

StoredCache store(const ut::AttentionCase& c, DType t) {
  StoredCache s{t, c.k, c.v, {}, {}};
  if (t == DType::f32) return s;
  for (auto [x, h, wide] : {std::tuple{&c.k, &s.k16, &s.k32}, std::tuple{&c.v, &s.v16, &s.v32}}) {
    h->resize(x->size());
    for (size_t i = 0; i < x->size(); ++i) {
      (*h)[i] = to_half((*x)[i], t);
      (*wide)[i] = from_half((*h)[i], t);
    }
  }
  return s;
}

std::vector<float> attend(const ut::AttentionCase& c, StoredCache& cache,
                          const quant::CpuCompute& cpu) {
  std::vector<float> q = c.q, out(c.q.size(), std::nanf(""));
  const bool half = cache.type != DType::f32;
  const AttentionArgs a = ops_test::attention_args(
      c, Tensor(q.data(), DType::f32, {c.b, c.t, c.e()}),
      Tensor(half ? static_cast<void*>(cache.k16.data()) : cache.k32.data(), cache.type,
             {c.b, c.s, c.kv_e()}),
      Tensor(half ? static_cast<void*>(cache.v16.data()) : cache.v32.data(), cache.type,
             {c.b, c.s, c.kv_e()}),
      Tensor(out.data(), DType::f32, {c.b, c.t, c.e()}));
  dense_attention_cpu(a, AttentionPart{}, cpu);
  return out;
}

// A random case with t new positions at slots [first, first + t) of an s-slot cache; the last
// sequence's first query sees only masked slots.
ut::AttentionCase shaped_case(std::mt19937& rng, int64_t t, int64_t s, int64_t first, bool window) {
  // Short heads over thousands of slots keep the float64 reference quick.
  ut::AttentionCase c = ut::random_attention_case(
      rng, ut::AttentionMode::prefill,
      {.max_head_dim = s > 1000 ? 16 : 70, .max_slots = 2, .max_heads = 6, .grouped = true});
  c.t = t, c.s = s, c.first = first;
  c.window = window ? ut::random_int(rng, 1, first + t + 1) : 0;
  ut::fill_random_inputs(rng, c, 0.8);
  for (int64_t i = 0; i <= c.first; ++i) c.valid[size_t((c.b - 1) * c.s + i)] = 0;
  ut::poison_unseen_slots(c);
  return c;
}

void check_output(const std::vector<float>& out, const std::vector<double>& ref, double tol) {
  CHECK(ut::normalized_error(out, ref) < tol);
  for (size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(out[i]));
    if (ref[i] == 0.0) REQUIRE(out[i] == 0.0f);  // queries that see no slot: exact zeros
  }
}

struct Shape {
  int64_t t, s, first;
};

}  // namespace

TEST_CASE("CPU attention rows and block paths match float64 around the threshold", "[ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  int trial = 0;
  for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
    quant::ComputePool pool(2);
    for (const Shape& sh : {Shape{1, 40, 39}, Shape{15, 30, 0}, Shape{16, 30, 0},
                            Shape{17, 60, 20}, Shape{kBlockQueries - 1, 50, 34},
                            Shape{130, 140, 0}, Shape{40, 20000, 19950}}) {
      for (DType type : {DType::f32, DType::f16, DType::bf16}) {
        const bool window = ++trial % 2 == 0;
        const ut::AttentionCase c = shaped_case(rng, sh.t, sh.s, sh.first, window);
        CAPTURE(quant::cpu_isa_name(isa), dtype_name(type), c.b, c.t, c.s, c.first, c.heads,
                c.kv_heads, c.d, c.window);
        StoredCache cache = store(c, type);
        const std::vector<float> out = attend(c, cache, {isa, 2, &pool});
        check_output(out, ut::attention_reference(c, cache.k32, cache.v32, 0, c.s).out,
                     c.s > 1000 ? 3e-5 : 1e-5);
      }
    }
  }
}

TEST_CASE("CPU attention gives the same bits on 1, 2 and 3 threads", "[ops]") {
  std::mt19937 rng(2024);
  for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
    quant::ComputePool two(2), three(3);
    for (const Shape& sh : {Shape{1, 70, 69}, Shape{5, 40, 30}, Shape{300, 300, 0}}) {
      for (DType type : {DType::f32, DType::f16}) {
        const ut::AttentionCase c = shaped_case(rng, sh.t, sh.s, sh.first, sh.t == 5);
        CAPTURE(quant::cpu_isa_name(isa), dtype_name(type), c.b, c.t, c.s, c.heads, c.kv_heads);
        StoredCache cache = store(c, type);
        const std::vector<float> one = attend(c, cache, {isa, 1, nullptr});
        CHECK(std::memcmp(one.data(), attend(c, cache, {isa, 2, &two}).data(), one.size() * 4) ==
              0);
        CHECK(std::memcmp(one.data(), attend(c, cache, {isa, 3, &three}).data(),
                          one.size() * 4) == 0);
      }
    }
  }
}

}  // namespace strata
