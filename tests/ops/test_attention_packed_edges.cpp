// attention over a compressed KV cache at its edges, on every backend (CPU, and CUDA where a GPU
// answers): extreme groups (constant rows, huge ranges next to tiny ones, negative zero, values
// beyond fp16, NaN refused when stored), a padded query and garbage bytes in every slot no
// query reads (masked, future, out of the window) with grouped heads, and the argument checks.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "ops/packed_cache.h"

namespace strata::ops_test {

TEST_CASE("packed attention: extreme groups", "[ops][quant]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(17);
    for (DType bits : {DType::q4, DType::q8}) {
      CAPTURE(dtype_name(bits));
      PackedCase c;
      c.b = 1, c.t = 1, c.s = 6, c.heads = 3, c.d = 16, c.first = 5, c.scale = 0.25f;
      c.format = kv_format(bits, c.heads, c.d);
      c.q = ut::random_floats(rng, size_t(c.e()));
      c.k = ut::random_floats(rng, size_t(c.s * c.e()));
      c.v = ut::random_floats(rng, size_t(c.s * c.e()));
      c.valid.assign(size_t(c.s), 1);
      // Head 0: huge range (+-1e4) in its keys and values. Head 1: tiny values (1e-3). A group
      // never crosses a head, so head 1 keeps its own fine step.
      for (int64_t s = 0; s < c.s; ++s) {
        for (int64_t i = 0; i < c.d; ++i) {
          const size_t h0 = size_t(s * c.e() + i), h1 = h0 + size_t(c.d);
          c.k[h0] *= 1e4f, c.v[h0] *= 1e4f;
          c.k[h1] *= 1e-3f, c.v[h1] *= 1e-3f;
        }
      }
      // Slot 2: a constant row (every head), exactly an fp16 value: scale 0, stored exactly.
      // Slot 3: negative zeros in head 2's values and keys; slot 4: values beyond fp16 (7e4) in
      // head 0's values, saturated to 65504.
      for (int64_t i = 0; i < c.e(); ++i) {
        c.k[size_t(2 * c.e() + i)] = 0.375f;
        c.v[size_t(2 * c.e() + i)] = -1.5f;
      }
      for (int64_t i = 0; i < c.d; ++i) {
        c.k[size_t(3 * c.e() + 2 * c.d + i)] = -0.0f;
        c.v[size_t(3 * c.e() + 2 * c.d + i)] = i % 2 ? -0.0f : 0.0f;
      }
      c.v[size_t(4 * c.e() + 3)] = 7e4f;
      Packed p = pack(c);
      for (int64_t i = 0; i < c.e(); ++i) {
        CHECK(p.k_deq[size_t(2 * c.e() + i)] == 0.375f);
        CHECK(p.v_deq[size_t(2 * c.e() + i)] == -1.5f);
      }
      for (int64_t i = 0; i < c.d; ++i) {
        const float z = p.v_deq[size_t(3 * c.e() + 2 * c.d + i)];
        CHECK(z == 0.0f);
        CHECK(!std::signbit(z));  // the sign of zero is not kept: +0
      }
      // Saturated first, then quantized: within half a step (the group's scale) of 65504.
      const quant::QuantMatrix vm{quant_format_of(c.format.element), p.v.data(), c.s * c.heads,
                                  c.d};
      const float v_scale = quant::f16_to_f32(quant::group_header_ref(vm, 4 * c.heads, 3).scale);
      CHECK(std::fabs(p.v_deq[size_t(4 * c.e() + 3)] - 65504.0f) <= v_scale / 2 * 1.01f);
      CHECK(std::fabs(7e4f - 65504.0f) > v_scale / 2 * 1.01f + 1);  // so 7e4 itself would fail
      const int levels = bits == DType::q4 ? 15 : 255;
      for (int64_t s = 0; s < c.s; ++s) {
        if (s == 2) continue;
        for (int64_t i = 0; i < c.d; ++i) {  // head 1 keeps a step of its own range (~1e-3)
          const size_t at = size_t(s * c.e() + c.d + i);
          CHECK(std::fabs(p.k_deq[at] - c.k[at]) <= 8e-3 / levels + 1e-6);
        }
      }
      const std::vector<float> out = run_attention_packed(be, c, c.format, p.k, p.v);
      const std::vector<double> ref = ut::attention_reference(c, p.k_deq, p.v_deq, 0, c.s).out;
      for (float x : out) REQUIRE(std::isfinite(x));
      CHECK(ut::normalized_error(out, ref) < 1e-5);
      CHECK(bitwise_equal(out, run_attention_f32(be, c, p)));  // as test_attention_packed.cpp

      // NaN cannot be quantized: one error naming the token and the head.
      std::vector<float> bad(size_t(2 * c.e()), 1.0f);
      bad[size_t(c.e() + c.d + 5)] = std::numeric_limits<float>::quiet_NaN();
      std::vector<uint8_t> dst(2 * c.format.slot_bytes());
      CHECK_THROWS_WITH(
          store_kv_rows(c.format, bad.data(), 2, dst.data()),
          Catch::Contains("token 1") && Catch::Contains("head 1") && Catch::Contains("nan"));
    }
  });
}

TEST_CASE("packed attention: a padded query and garbage in unread slots", "[ops][quant]") {
  // Garbage bytes in masked, future and out-of-window slots are never read; a query with no
  // visible slot gives zeros, exactly as the fp32 kernel.
  for_each_backend([](OpBackend& be) {
    for (int64_t kv_heads : {0, 1}) {
      for (int64_t window : {0, 3}) {
        CAPTURE(kv_heads, window);
        std::mt19937 rng(3);
        PackedCase c;
        c.b = 2, c.t = 3, c.s = 9, c.heads = 2, c.d = 24, c.first = 4, c.scale = 0.3f;
        c.kv_heads = kv_heads, c.window = window;
        c.format = kv_format(DType::q4, c.kvh(), c.d);
        c.q = ut::random_floats(rng, size_t(c.b * c.t * c.e()));
        c.k = ut::random_floats(rng, size_t(c.b * c.s * c.kv_e()));
        c.v = ut::random_floats(rng, size_t(c.b * c.s * c.kv_e()));
        c.valid = {0, 1, 0, 1, 1, 1, 1, 0, 0,   // sequence 0
                   0, 0, 0, 0, 0, 0, 1, 1, 1};  // sequence 1: its first query (slot 4) sees nothing
        Packed p = pack(c);
        Packed dirty = p;
        const size_t row = c.format.slot_bytes();
        for (int64_t b = 0; b < c.b; ++b) {
          for (int64_t s = 0; s < c.s; ++s) {
            bool seen = false;
            for (int64_t t = 0; t < c.t; ++t) seen |= c.sees(b, t, s);
            if (seen) continue;
            std::memset(dirty.k.data() + size_t(b * c.s + s) * row, 0xff, row);  // NaN headers
            std::memset(dirty.v.data() + size_t(b * c.s + s) * row, 0xff, row);
          }
        }
        const std::vector<float> out = run_attention_packed(be, c, c.format, dirty.k, dirty.v);
        CHECK(bitwise_equal(out, run_attention_packed(be, c, c.format, p.k, p.v)));
        for (int64_t i = 0; i < c.e(); ++i) CHECK(out[size_t(c.t * c.e() + i)] == 0.0f);
        for (float x : out) CHECK(std::isfinite(x));
      }
    }
  });
}

TEST_CASE("packed attention: shapes and formats are checked", "[ops][quant]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(9);
    PackedCase c;
    c.b = 1, c.t = 1, c.s = 4, c.heads = 2, c.d = 16, c.first = 2;
    c.format = kv_format(DType::q4, c.heads, c.d);
    c.q = ut::random_floats(rng, size_t(c.e()));
    c.k = ut::random_floats(rng, size_t(c.s * c.e()));
    c.v = c.k;
    c.valid.assign(size_t(c.s), 1);
    Packed p = pack(c);
    const KvFormat q8 = kv_format(DType::q8, c.heads, c.d);
    const std::vector<uint8_t> v8(size_t(c.s) * q8.slot_bytes());
    const auto refused = [&](const KvFormat& kf, const std::vector<uint8_t>& k, const KvFormat& vf,
                             const std::vector<uint8_t>& v) {
      DeviceData q(*be, c.q), dk(*be, k), dv(*be, v), out(*be, nan_floats(c.q.size()));
      CHECK_THROWS_WITH(
          be->attention(attention_args(c, q, kv_view(kf, dk.data(), 1, c.s, Place::device),
                                       kv_view(vf, dv.data(), 1, c.s, Place::device), out)),
          Catch::Contains("attention shapes"));
    };
    refused(c.format, p.k, q8, v8);  // K and V in different formats
    // A packed cache whose heads match neither num_heads nor num_kv_heads (0: num_heads).
    refused(kv_format(DType::q4, 1, 32), p.k, kv_format(DType::q4, 1, 32), p.v);
    refused(kv_format(DType::q4, 1, 16), p.k, kv_format(DType::q4, 1, 16), p.v);
    // An fp32 key cache with a packed value cache.
    const std::vector<uint8_t> kf(size_t(c.s * c.e()) * sizeof(float));
    refused(kv_format(DType::f32, c.heads, c.d), kf, c.format, p.v);
  });
}

}  // namespace strata::ops_test
