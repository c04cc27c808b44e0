// CUDA attention against a float64 reference: random shapes (head_dim 1..128, odd sizes),
// prefill / decode / chunked queries, key_valid masks including fully masked queries, NaN
// garbage in slots that must never be read, long prompts spanning many 16-query x 32-key tiles,
// causality (bitwise), the head_dim limit; then partial attention over a device part and a host
// part of the cache, the host result copied over on the host->device stream and merged on the
// device, against full attention over the whole cache.
// Tolerance: normalized error 1e-5 (fp32 arithmetic, the CPU backend's), 3e-5 for caches of
// hundreds of slots; fully masked query rows are exact zeros.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cuda_test_support.h"
#include "engine/backend/attention_partial.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_transfers.h"
#include "engine/backend/cuda/pinned_host_pool.h"
#include "attention_reference.h"
#include "test_support.h"

namespace strata {
namespace {

using cut::DeviceArray;

using Case = ut::AttentionCase;

using Ref = ut::AttentionRef;

// Attention over slots [lo, hi) of the cache in double (the whole cache: [0, s)).
Ref attention_ref(const Case& c, int64_t lo, int64_t hi) {
  return ut::attention_reference(c, c.k, c.v, lo, hi);
}

Case make_case(std::mt19937& rng, int64_t b, int64_t t, int64_t s, int64_t heads, int64_t d,
               int64_t first, double keep_rate) {
  Case c{b, t, s, heads, d, first, 0.0f, {}, {}, {}, {}};
  c.scale = float(1.0 / std::sqrt(double(d))) * float(ut::random_int(rng, 5, 20)) / 10.0f;
  c.q = ut::random_floats(rng, size_t(b * t * c.e()));
  c.k = ut::random_floats(rng, size_t(b * s * c.e()));
  c.v = ut::random_floats(rng, size_t(b * s * c.e()));
  std::bernoulli_distribution keep(keep_rate);
  c.valid.resize(size_t(b * s));
  for (auto& x : c.valid) x = keep(rng) ? 1 : 0;
  // The last sequence's first query sees only masked slots (a left-padded sequence).
  for (int64_t x = 0; x <= first; ++x) c.valid[size_t((b - 1) * s + x)] = 0;
  // Garbage where nothing may be read: masked slots and slots after the last query.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t x = 0; x < s; ++x) {
      if (c.valid[size_t(i * s + x)] && x < first + t) continue;
      for (int64_t j = 0; j < c.e(); ++j) {
        c.k[size_t((i * s + x) * c.e() + j)] = nan;
        c.v[size_t((i * s + x) * c.e() + j)] = nan;
      }
    }
  }
  return c;
}

std::vector<float> run(CudaBackend& be, const Case& c) {
  DeviceArray<float> q(c.q), k(c.k), v(c.v), out(c.q.size());
  out.fill_nan();
  AttentionArgs a;
  a.q = q.tensor(DType::f32, {c.b, c.t, c.e()});
  a.k_cache = k.tensor(DType::f32, {c.b, c.s, c.e()});
  a.v_cache = v.tensor(DType::f32, {c.b, c.s, c.e()});
  a.key_valid = c.valid.data();
  a.first_query_slot = c.first;
  a.num_heads = c.heads;
  a.scale = c.scale;
  a.out = out.tensor(DType::f32, {c.b, c.t, c.e()});
  be.attention(a);
  return out.host();
}

void check_output(const std::vector<float>& out, const Ref& ref, double tol) {
  CHECK(ut::normalized_error(out, ref.out) < tol);
  for (size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(out[i]));
    if (ref.out[i] == 0.0) REQUIRE(out[i] == 0.0f);  // fully masked query rows
  }
}

int64_t random_head_dim(std::mt19937& rng, int trial) {
  static const int64_t dims[] = {32, 48, 64, 80, 96, 100, 128};
  return trial % 2 ? ut::random_int(rng, 1, 20) : dims[size_t(trial / 2) % 7];
}

}  // namespace

TEST_CASE("cuda attention matches float64 with masks, odd sizes and every mode", "[cuda][ops]") {
  CudaBackend backend;
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t b = ut::random_int(rng, 1, 3), heads = ut::random_int(rng, 1, 4);
    const int64_t d = random_head_dim(rng, trial), s = ut::random_int(rng, 2, 70);
    int64_t t = 1, first = 0;
    switch (trial % 3) {
      case 0: t = ut::random_int(rng, 1, s); break;                                 // prefill
      case 1: first = ut::random_int(rng, 0, s - 1); break;                         // decode
      default: first = ut::random_int(rng, 1, s - 1), t = ut::random_int(rng, 1, s - first);
    }
    CAPTURE(trial, b, t, s, heads, d, first);
    const Case c = make_case(rng, b, t, s, heads, d, first, 0.75);
    check_output(run(backend, c), attention_ref(c, 0, c.s), 1e-5);
  }
}

TEST_CASE("cuda attention over long prompts and long caches spans many tiles", "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(4242);
  struct Long {
    int64_t b, t, s, heads, d, first;
  };
  for (const Long& l : {Long{2, 300, 300, 2, 64, 0},   // prefill: 19 query blocks x 10 key tiles
                        Long{1, 257, 700, 3, 128, 0},  // prefill into a longer cache
                        Long{3, 1, 1500, 4, 64, 1499}, // decode at the end of a long cache
                        Long{2, 1, 1000, 2, 80, 612},  // decode mid-cache (later slots garbage)
                        Long{2, 77, 600, 2, 96, 400}}) {  // a chunk after a cached prefix
    CAPTURE(l.b, l.t, l.s, l.heads, l.d, l.first);
    const Case c = make_case(rng, l.b, l.t, l.s, l.heads, l.d, l.first, 0.9);
    check_output(run(backend, c), attention_ref(c, 0, c.s), 3e-5);
  }
}

TEST_CASE("cuda attention is causal bit for bit and refuses head_dim over 128", "[cuda][ops]") {
  CudaBackend backend;
  std::mt19937 rng(77);
  const Case c = make_case(rng, 2, 40, 60, 2, 64, 10, 1.0);
  const std::vector<float> base = run(backend, c);
  for (int64_t cut : {0, 5, 17, 38}) {
    Case changed = c;
    for (int64_t b = 0; b < c.b; ++b)
      for (int64_t s = c.first + cut + 1; s < c.first + c.t; ++s)
        for (int64_t i = 0; i < c.e(); ++i) {
          changed.k[size_t((b * c.s + s) * c.e() + i)] += 3.0f;
          changed.v[size_t((b * c.s + s) * c.e() + i)] -= 5.0f;
        }
    const std::vector<float> after = run(backend, changed);
    for (int64_t b = 0; b < c.b; ++b)
      for (int64_t t = 0; t <= cut; ++t)
        for (int64_t i = 0; i < c.e(); ++i) {
          const size_t at = size_t((b * c.t + t) * c.e() + i);
          CAPTURE(cut, b, t, i);
          REQUIRE(after[at] == base[at]);
        }
  }
  const Case wide = make_case(rng, 1, 1, 4, 1, 129, 3, 1.0);
  CHECK_THROWS_AS(run(backend, wide), Error);
}

TEST_CASE("device and host parts of a cache merge on the device into full attention",
          "[cuda][ops]") {
  CudaBackend backend;
  cuda::CudaTransfers transfers;
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t b = ut::random_int(rng, 1, 4), heads = ut::random_int(rng, 1, 4);
    const int64_t d = random_head_dim(rng, trial), s = ut::random_int(rng, 2, 300);
    const int64_t first = ut::random_int(rng, 0, s - 1);
    const int64_t t = trial % 4 == 0 ? ut::random_int(rng, 1, s - first) : 1;
    const int64_t cut = trial % 8 == 1 ? 0 : trial % 8 == 2 ? s : ut::random_int(rng, 0, s);
    CAPTURE(trial, b, t, s, heads, d, first, cut);
    const Case c = make_case(rng, b, t, s, heads, d, first, 0.8);
    const int64_t e = c.e(), rows = b * t;

    // Device part: slots [0, cut), as its own [b, cut, e] region.
    std::vector<float> kd, vd, kh, vh;
    std::vector<uint8_t> valid_d, valid_h;
    for (int64_t i = 0; i < b; ++i) {
      for (int64_t x = 0; x < s; ++x) {
        const auto from = c.k.begin() + (i * s + x) * e;
        const auto vfrom = c.v.begin() + (i * s + x) * e;
        const bool dev = x < cut;
        (dev ? kd : kh).insert((dev ? kd : kh).end(), from, from + e);
        (dev ? vd : vh).insert((dev ? vd : vh).end(), vfrom, vfrom + e);
        (dev ? valid_d : valid_h).push_back(c.valid[size_t(i * s + x)]);
      }
    }
    DeviceArray<float> q(c.q), k(kd), v(vd), out(c.q.size()), mx(size_t(rows * heads)),
        sm(size_t(rows * heads));
    DeviceArray<float> host_out(c.q.size()), host_mx(size_t(rows * heads)),
        host_sm(size_t(rows * heads));
    AttentionPartialArgs dev;
    dev.attention.q = q.tensor(DType::f32, {b, t, e});
    dev.attention.k_cache = k.tensor(DType::f32, {b, cut, e});
    dev.attention.v_cache = v.tensor(DType::f32, {b, cut, e});
    dev.attention.key_valid = valid_d.data();
    dev.attention.first_query_slot = first;
    dev.attention.num_heads = heads;
    dev.attention.scale = c.scale;
    dev.attention.out = out.tensor(DType::f32, {b, t, e});
    dev.slot_offset = 0;
    dev.max = mx.tensor(DType::f32, {b, t, heads});
    dev.sum = sm.tensor(DType::f32, {b, t, heads});
    backend.attention_partial(dev);

    // Host part: slots [cut, s) on the host, meanwhile, into pinned memory.
    cuda::PinnedHostPool pool(size_t(rows * (e + 2 * heads)) * 4 + 3 * 4096, {});
    auto* ho = static_cast<float*>(pool.allocate(size_t(rows * e) * 4));
    auto* hm = static_cast<float*>(pool.allocate(size_t(rows * heads) * 4));
    auto* hs = static_cast<float*>(pool.allocate(size_t(rows * heads) * 4));
    std::vector<float> qh = c.q;
    AttentionPartialArgs host;
    host.attention.q = Tensor(qh.data(), DType::f32, {b, t, e});
    host.attention.k_cache = Tensor(kh.data(), DType::f32, {b, s - cut, e});
    host.attention.v_cache = Tensor(vh.data(), DType::f32, {b, s - cut, e});
    host.attention.key_valid = valid_h.data();
    host.attention.first_query_slot = first;
    host.attention.num_heads = heads;
    host.attention.scale = c.scale;
    host.attention.out = Tensor(ho, DType::f32, {b, t, e});
    host.slot_offset = cut;
    host.max = Tensor(hm, DType::f32, {b, t, heads});
    host.sum = Tensor(hs, DType::f32, {b, t, heads});
    attention_partial_cpu(host);

    // Only the host part's result crosses the bus; the merge waits for it by events.
    cuda::CudaEvent o_done, m_done, s_done;
    transfers.to_device(host_out.get(), ho, size_t(rows * e) * 4, nullptr, o_done);
    transfers.to_device(host_mx.get(), hm, size_t(rows * heads) * 4, nullptr, m_done);
    transfers.to_device(host_sm.get(), hs, size_t(rows * heads) * 4, nullptr, s_done);
    backend.compute_stream().wait(s_done);  // one stream, in order: the last copy's event
    backend.merge_attention_partials(
        {out.tensor(DType::f32, {b, t, e}), mx.tensor(DType::f32, {b, t, heads}),
         sm.tensor(DType::f32, {b, t, heads})},
        {host_out.tensor(DType::f32, {b, t, e}), host_mx.tensor(DType::f32, {b, t, heads}),
         host_sm.tensor(DType::f32, {b, t, heads})},
        heads);
    backend.synchronize();

    const Ref ref = attention_ref(c, 0, s);
    check_output(out.host(), ref, s > 100 ? 3e-5 : 1e-5);
    const std::vector<float> merged_max = mx.host(), merged_sum = sm.host();
    for (size_t i = 0; i < ref.max.size(); ++i) {
      CAPTURE(i, ref.max[i], ref.sum[i], merged_max[i], merged_sum[i]);
      if (ref.sum[i] == 0.0) {
        REQUIRE(merged_sum[i] == 0.0f);
      } else {
        REQUIRE(std::fabs(merged_max[i] - ref.max[i]) <= 1e-4 * (1.0 + std::fabs(ref.max[i])));
        REQUIRE(std::fabs(merged_sum[i] - ref.sum[i]) <= 1e-4 * ref.sum[i]);
      }
    }
  }
}

}  // namespace strata
