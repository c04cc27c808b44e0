// Partial attention over parts of a KV cache and their merge (engine/backend/attention_partial.h,
// attention_merge.h) against a float64 reference of full attention over the whole cache: random
// batch, heads, head size, cache length and split points (including empty parts and three-way
// splits), prefill / decode / chunked queries, key_valid masks with fully masked queries, and
// NaN garbage in slots that must never be read. The merge math is the one the CUDA merge kernel
// runs (STRATA_HD), so this is its CPU test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/backend/attention_merge.h"
#include "engine/backend/attention_partial.h"
#include "attention_reference.h"
#include "test_support.h"

namespace strata {
namespace {

using Cache = ut::AttentionCase;

using Ref = ut::AttentionRef;  // max -inf and sum 0 where no slot is visible

// Full attention over every slot in double.
Ref full_ref(const Cache& c) { return ut::attention_reference(c); }

// Slots [begin, end) of every sequence as their own contiguous part, and its result.
struct Part {
  int64_t begin, end;
  std::vector<float> k, v, out, max, sum;
  std::vector<uint8_t> valid;

  Part(const Cache& c, int64_t b0, int64_t b1) : begin(b0), end(b1) {
    const int64_t n = end - begin, e = c.e();
    for (int64_t b = 0; b < c.b; ++b) {
      for (int64_t s = begin; s < end; ++s) {
        valid.push_back(c.valid[size_t(b * c.s + s)]);
        for (int64_t i = 0; i < e; ++i) {
          k.push_back(c.k[size_t((b * c.s + s) * e + i)]);
          v.push_back(c.v[size_t((b * c.s + s) * e + i)]);
        }
      }
    }
    (void)n;
    out.assign(size_t(c.b * c.t * e), std::numeric_limits<float>::quiet_NaN());
    max.assign(size_t(c.b * c.t * c.heads), std::numeric_limits<float>::quiet_NaN());
    sum = max;
  }

  void attend(Cache& c) {
    const int64_t n = end - begin;
    AttentionPartialArgs p;
    p.attention.q = Tensor(c.q.data(), DType::f32, {c.b, c.t, c.e()});
    p.attention.k_cache = Tensor(k.data(), DType::f32, {c.b, n, c.e()});
    p.attention.v_cache = Tensor(v.data(), DType::f32, {c.b, n, c.e()});
    p.attention.key_valid = valid.data();
    p.attention.first_query_slot = c.first;
    p.attention.num_heads = c.heads;
    p.attention.scale = c.scale;
    p.attention.out = Tensor(out.data(), DType::f32, {c.b, c.t, c.e()});
    p.slot_offset = begin;
    p.max = Tensor(max.data(), DType::f32, {c.b, c.t, c.heads});
    p.sum = Tensor(sum.data(), DType::f32, {c.b, c.t, c.heads});
    attention_partial_cpu(p);
  }

  AttentionPartial view(const Cache& c) {
    return {Tensor(out.data(), DType::f32, {c.b, c.t, c.e()}),
            Tensor(max.data(), DType::f32, {c.b, c.t, c.heads}),
            Tensor(sum.data(), DType::f32, {c.b, c.t, c.heads})};
  }
};

using Mode = ut::AttentionMode;

Cache random_cache(std::mt19937& rng, Mode mode) {
  Cache c = ut::random_attention_case(
      rng, mode, {.max_head_dim = 24, .max_slots = 40, .min_prefill_queries = 1,
                  .min_decode_slot = 0, .max_scale_tenths = 30, .keep = 0.7});
  // The last sequence's first query sees only masked slots (a left-padded sequence).
  for (int64_t s = 0; s <= c.first; ++s) c.valid[size_t((c.b - 1) * c.s + s)] = 0;
  // Garbage where nothing may be read: masked slots and slots after the last query.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t s = 0; s < c.s; ++s) {
      if (c.valid[size_t(b * c.s + s)] && s < c.first + c.t) continue;
      for (int64_t i = 0; i < c.e(); ++i) {
        c.k[size_t((b * c.s + s) * c.e() + i)] = nan;
        c.v[size_t((b * c.s + s) * c.e() + i)] = nan;
      }
    }
  }
  return c;
}

void check_against(const Part& merged, const Ref& ref) {
  CHECK(ut::normalized_error(merged.out, ref.out) < 1e-5);
  for (size_t i = 0; i < merged.out.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(merged.out[i]));
    if (ref.out[i] == 0.0) REQUIRE(merged.out[i] == 0.0f);  // fully masked queries: exact zeros
  }
  for (size_t i = 0; i < ref.max.size(); ++i) {
    CAPTURE(i, ref.max[i], ref.sum[i], merged.max[i], merged.sum[i]);
    if (ref.sum[i] == 0.0) {
      REQUIRE(merged.sum[i] == 0.0f);
      REQUIRE(merged.max[i] == -INFINITY);
    } else {
      REQUIRE(std::fabs(merged.max[i] - ref.max[i]) <= 1e-4 * (1.0 + std::fabs(ref.max[i])));
      REQUIRE(std::fabs(merged.sum[i] - ref.sum[i]) <= 1e-4 * ref.sum[i]);
    }
  }
}

}  // namespace

TEST_CASE("partial attention over two cache parts merges into full attention", "[ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 150; ++trial) {
    const Mode mode = Mode(trial % 3);
    Cache c = random_cache(rng, mode);
    // Split points: empty device part, empty host part, and anywhere in between.
    const int64_t cut = trial % 10 == 0 ? 0 : trial % 10 == 1 ? c.s : ut::random_int(rng, 0, c.s);
    CAPTURE(trial, int(mode), c.b, c.t, c.s, c.heads, c.d, c.first, c.scale, cut);
    const Ref ref = full_ref(c);

    Part device(c, 0, cut), host(c, cut, c.s);
    device.attend(c);
    host.attend(c);
    Part merged = device;
    merge_attention_partials(merged.view(c), host.view(c), c.heads);
    check_against(merged, ref);

    // The other order gives the same result within rounding.
    Part reversed = host;
    merge_attention_partials(reversed.view(c), device.view(c), c.heads);
    CHECK(ut::normalized_error(reversed.out, std::vector<double>(merged.out.begin(),
                                                                 merged.out.end())) < 1e-6);
  }
}

TEST_CASE("three cache parts merge in sequence into full attention", "[ops]") {
  std::mt19937 rng(2718);
  for (int trial = 0; trial < 60; ++trial) {
    Cache c = random_cache(rng, Mode(trial % 3));
    int64_t c1 = ut::random_int(rng, 0, c.s), c2 = ut::random_int(rng, 0, c.s);
    if (c1 > c2) std::swap(c1, c2);
    CAPTURE(trial, c.b, c.t, c.s, c.heads, c.d, c.first, c1, c2);
    Part a(c, 0, c1), b(c, c1, c2), z(c, c2, c.s);
    a.attend(c);
    b.attend(c);
    z.attend(c);
    merge_attention_partials(a.view(c), z.view(c), c.heads);  // any order of disjoint parts
    merge_attention_partials(a.view(c), b.view(c), c.heads);
    check_against(a, full_ref(c));
  }
}

TEST_CASE("one part over the whole cache is the CPU backend's attention, bit for bit", "[ops]") {
  auto backend = make_backend(BackendKind::cpu);
  std::mt19937 rng(99);
  for (int trial = 0; trial < 30; ++trial) {
    Cache c = random_cache(rng, Mode(trial % 3));
    Part whole(c, 0, c.s);
    whole.attend(c);
    std::vector<float> out(whole.out.size(), std::numeric_limits<float>::quiet_NaN());
    AttentionArgs a;
    a.q = Tensor(c.q.data(), DType::f32, {c.b, c.t, c.e()});
    a.k_cache = Tensor(c.k.data(), DType::f32, {c.b, c.s, c.e()});
    a.v_cache = Tensor(c.v.data(), DType::f32, {c.b, c.s, c.e()});
    a.key_valid = c.valid.data();
    a.first_query_slot = c.first;
    a.num_heads = c.heads;
    a.scale = c.scale;
    a.out = Tensor(out.data(), DType::f32, {c.b, c.t, c.e()});
    backend->attention(a);
    REQUIRE(out == whole.out);
  }
}

TEST_CASE("merging parts whose maxima differ widely neither overflows nor loses the larger",
          "[ops]") {
  // One head, d = 2. Part a: max 0, sum 1, out (1, 2). Part b: max 200, sum 3, out (-4, 8).
  // exp(-200) underflows in fp32: the merge is b's result exactly; either order.
  float out_a[2] = {1.0f, 2.0f}, max_a = 0.0f, sum_a = 1.0f;
  const float out_b[2] = {-4.0f, 8.0f};
  merge_partial_head(out_a, max_a, sum_a, out_b, 200.0f, 3.0f, 2);
  CHECK(out_a[0] == -4.0f);
  CHECK(out_a[1] == 8.0f);
  CHECK(max_a == 200.0f);
  CHECK(sum_a == 3.0f);

  float out_c[2] = {-4.0f, 8.0f}, max_c = 200.0f, sum_c = 3.0f;
  const float out_d[2] = {1.0f, 2.0f};
  merge_partial_head(out_c, max_c, sum_c, out_d, 0.0f, 1.0f, 2);
  CHECK(out_c[0] == -4.0f);
  CHECK(out_c[1] == 8.0f);
  CHECK(max_c == 200.0f);
  CHECK(sum_c == 3.0f);

  // Equal maxima: weights are the sums. (1*(1,2) + 3*(-4,8)) / 4 = (-2.75, 6.5).
  float out_e[2] = {1.0f, 2.0f}, max_e = 5.0f, sum_e = 1.0f;
  merge_partial_head(out_e, max_e, sum_e, out_b, 5.0f, 3.0f, 2);
  CHECK(out_e[0] == -2.75f);
  CHECK(out_e[1] == 6.5f);
  CHECK(sum_e == 4.0f);

  // An empty part (sum 0, max -inf, out 0) changes nothing, on either side.
  float out_f[2] = {0.0f, 0.0f}, max_f = -INFINITY, sum_f = 0.0f;
  merge_partial_head(out_f, max_f, sum_f, out_b, 7.0f, 2.0f, 2);
  CHECK(out_f[0] == -4.0f);
  CHECK(max_f == 7.0f);
  CHECK(sum_f == 2.0f);
  const float zeros[2] = {0.0f, 0.0f};
  merge_partial_head(out_f, max_f, sum_f, zeros, -INFINITY, 0.0f, 2);
  CHECK(out_f[1] == 8.0f);
  CHECK(sum_f == 2.0f);
}

TEST_CASE("partial attention and merge reject mismatched shapes", "[ops]") {
  std::vector<float> buf(64, 0.0f);
  std::vector<uint8_t> valid(8, 1);
  AttentionPartialArgs p;
  p.attention.q = Tensor(buf.data(), DType::f32, {1, 1, 4});
  p.attention.k_cache = Tensor(buf.data(), DType::f32, {1, 2, 4});
  p.attention.v_cache = Tensor(buf.data(), DType::f32, {1, 2, 4});
  p.attention.key_valid = valid.data();
  p.attention.num_heads = 2;
  p.attention.out = Tensor(buf.data() + 32, DType::f32, {1, 1, 4});
  p.max = Tensor(buf.data() + 40, DType::f32, {1, 1, 2});
  p.sum = Tensor(buf.data() + 48, DType::f32, {1, 1, 2});
  CHECK_NOTHROW(attention_partial_cpu(p));
  AttentionPartialArgs bad = p;
  bad.max = Tensor(buf.data() + 40, DType::f32, {1, 1, 3});
  CHECK_THROWS_AS(attention_partial_cpu(bad), Error);
  bad = p;
  bad.attention.v_cache = Tensor(buf.data(), DType::f32, {1, 3, 4});
  CHECK_THROWS_AS(attention_partial_cpu(bad), Error);

  const AttentionPartial a{p.attention.out, p.max, p.sum};
  AttentionPartial other{Tensor(buf.data() + 16, DType::f32, {1, 1, 4}),
                         Tensor(buf.data() + 56, DType::f32, {1, 1, 2}),
                         Tensor(buf.data() + 58, DType::f32, {1, 1, 2})};
  CHECK_NOTHROW(merge_attention_partials(a, other, 2));
  CHECK_THROWS_AS(merge_attention_partials(a, a, 2), Error);
  CHECK_THROWS_AS(merge_attention_partials(a, other, 3), Error);
  other.out = Tensor(buf.data() + 16, DType::f32, {1, 2, 2});
  CHECK_THROWS_AS(merge_attention_partials(a, other, 2), Error);
}

}  // namespace strata
