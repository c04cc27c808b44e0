// Partial attention over parts of a KV cache and their merge (attention_partial.h,
// attention_merge.h) against the float64 reference of full attention over the whole cache, with
// grouped-query heads and sliding windows: random batch, heads, head size, cache length and split
// points (empty parts included), prefill / decode / chunked queries, key_valid masks with fully
// masked queries, and NaN garbage in slots that must never be read.
//   On every backend that offers partial attention: the device part attended by the backend,
//   the host part by attention_partial_cpu (the executor's cpu_attention split), the host result
//   copied to the device and merged there — against full attention, either merge order; and one
//   part over the whole cache is the backend's attention bit for bit.
//   On the host functions alone: three parts merged in any order, and the argument checks.
// Tolerance: normalized error 1e-5 (3e-5 over hundreds of slots); max and sum 1e-4 relative.
#include <algorithm>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/attention_runner.h"
#include "ops/cache_parts.h"

namespace strata::ops_test {
namespace {

using Mode = ut::AttentionMode;

// A part's result in device memory.
struct DevicePartial {
  DeviceData out, max, sum;
  DevicePartial(Backend& be, const CachePart& p) : out(be, p.out), max(be, p.max), sum(be, p.sum) {}
  AttentionPartial view(const ut::AttentionCase& c) const {
    return {out.tensor(DType::f32, {c.b, c.t, c.e()}), max.tensor(DType::f32, {c.b, c.t, c.heads}),
            sum.tensor(DType::f32, {c.b, c.t, c.heads})};
  }
};

// The backend's partial attention over `part` on its device; the result stays there.
std::unique_ptr<DevicePartial> attend_on_device(OpBackend& be, const ut::AttentionCase& c,
                                                const CachePart& part, const DeviceData& q) {
  DeviceData k(*be, part.k), v(*be, part.v);
  auto result = std::make_unique<DevicePartial>(*be, part);
  be.attention_partial(partial_args(c, part, q.tensor(DType::f32, {c.b, c.t, c.e()}),
                                    k.tensor(DType::f32, {c.b, part.slots(), c.kv_e()}),
                                    v.tensor(DType::f32, {c.b, part.slots(), c.kv_e()}),
                                    result->out.tensor(DType::f32, {c.b, c.t, c.e()}),
                                    result->max.tensor(DType::f32, {c.b, c.t, c.heads}),
                                    result->sum.tensor(DType::f32, {c.b, c.t, c.heads})));
  result->out.floats();  // k and v are freed on return: wait for the op (compute queue order)
  return result;
}

}  // namespace

TEST_CASE("device and host parts of a cache merge on the device into full attention", "[ops]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  for_each_backend([&](OpBackend& be) {
    if (!be.attention_partial) return;  // not offered by this backend
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 120; ++trial) {
      const Mode mode = Mode(trial % 3);
      ut::AttentionCase c = random_partial_case(rng, mode, trial % 6 == 5 ? 300 : 40, trial % 2);
      // Split points: empty device part, empty host part, and anywhere in between.
      const int64_t cut = trial % 10 == 0 ? 0 : trial % 10 == 1 ? c.s : ut::random_int(rng, 0, c.s);
      CAPTURE(trial, int(mode), c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first, c.window, cut);
      CachePart device_part(c, 0, cut), host_part(c, cut, c.s);
      DeviceData q(*be, c.q);
      const std::unique_ptr<DevicePartial> device = attend_on_device(be, c, device_part, q);
      attend_on_host(c, host_part);
      const DevicePartial host(*be, host_part);  // only the host part's result crosses
      DevicePartial device_copy(*be, device_part);
      device_copy.out.upload(device->out.floats());
      device_copy.max.upload(device->max.floats());
      device_copy.sum.upload(device->sum.floats());

      be.merge(device->view(c), host.view(c), c.heads);
      const std::vector<float> out = device->out.floats();
      check_merged(out, device->max.floats(), device->sum.floats(), ut::attention_reference(c),
                   c.s > 100 ? 3e-5 : 1e-5);
      // The other order gives the same result within rounding.
      const DevicePartial reversed(*be, host_part);
      be.merge(reversed.view(c), device_copy.view(c), c.heads);
      CHECK(ut::normalized_error(reversed.out.floats(),
                                 std::vector<double>(out.begin(), out.end())) < 1e-6);
    }
  });
}

TEST_CASE("one part over the whole cache is the backend's attention bit for bit", "[ops]") {
  for_each_backend([](OpBackend& be) {
    if (!be.attention_partial) return;
    std::mt19937 rng(99);
    for (int trial = 0; trial < 30; ++trial) {
      ut::AttentionCase c = random_partial_case(rng, Mode(trial % 3), 40, trial % 2);
      CAPTURE(trial, c.b, c.t, c.s, c.heads, c.kv_heads, c.first, c.window);
      const CachePart whole(c, 0, c.s);
      DeviceData q(*be, c.q);
      REQUIRE(attend_on_device(be, c, whole, q)->out.floats() == run_attention(be, c));
    }
  });
}

TEST_CASE("three cache parts merge in sequence into full attention", "[ops]") {
  std::mt19937 rng(2718);
  for (int trial = 0; trial < 60; ++trial) {
    ut::AttentionCase c = random_partial_case(rng, Mode(trial % 3), 40, trial % 2);
    int64_t c1 = ut::random_int(rng, 0, c.s), c2 = ut::random_int(rng, 0, c.s);
    if (c1 > c2) std::swap(c1, c2);
    CAPTURE(trial, c.b, c.t, c.s, c.heads, c.kv_heads, c.d, c.first, c.window, c1, c2);
    CachePart a(c, 0, c1), b(c, c1, c2), z(c, c2, c.s);
    attend_on_host(c, a);
    attend_on_host(c, b);
    attend_on_host(c, z);
    merge_attention_partials(host_view(c, a), host_view(c, z), c.heads);  // any order
    merge_attention_partials(host_view(c, a), host_view(c, b), c.heads);
    check_merged(a.out, a.max, a.sum, ut::attention_reference(c), 1e-5);
  }
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
  // Grouped heads: 1 KV head makes the cache 2 wide; 3 KV heads do not divide 2 query heads.
  AttentionPartialArgs grouped = p;
  grouped.attention.num_kv_heads = 1;
  CHECK_THROWS_WITH(attention_partial_cpu(grouped), Catch::Contains("partial attention shapes"));
  grouped.attention.k_cache = Tensor(buf.data(), DType::f32, {1, 2, 2});
  grouped.attention.v_cache = Tensor(buf.data(), DType::f32, {1, 2, 2});
  CHECK_NOTHROW(attention_partial_cpu(grouped));
  grouped.attention.num_kv_heads = 3;
  CHECK_THROWS_WITH(attention_partial_cpu(grouped), Catch::Contains("KV heads do not divide"));
  bad = p;
  bad.attention.window = -1;
  CHECK_THROWS_WITH(attention_partial_cpu(bad), Catch::Contains("window"));

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

}  // namespace strata::ops_test
