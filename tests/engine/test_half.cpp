// f16 / bf16 <-> f32 conversions against references computed in double: exhaustive decoding of
// all 65536 bit patterns, round trips, and round-to-nearest-even encoding of random and edge
// floats (ties, subnormals, overflow to infinity, signed zero, NaN).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "engine/core/half.h"

namespace strata {
namespace {

// A 16-bit float format: 1 sign bit, `exp_bits` exponent bits, the rest mantissa.
struct Format {
  int exp_bits;
  int mant_bits() const { return 15 - exp_bits; }
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
  uint16_t inf_bits() const { return uint16_t(((1u << exp_bits) - 1) << mant_bits()); }
};
constexpr Format kF16{5}, kBF16{8};

// The value of bit pattern h in double (IEEE rules: subnormals, inf, NaN).
double decode(Format f, uint16_t h) {
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  const int exp = (h >> f.mant_bits()) & ((1 << f.exp_bits) - 1);
  const int mant = h & ((1 << f.mant_bits()) - 1);
  if (exp == (1 << f.exp_bits) - 1) {
    return mant ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  }
  if (exp == 0) return sign * std::ldexp(double(mant), 1 - f.bias() - f.mant_bits());
  return sign * std::ldexp(double(mant + (1 << f.mant_bits())), exp - f.bias() - f.mant_bits());
}

// Round-to-nearest-even of a finite or infinite float into format f: binary search for the
// largest non-negative pattern whose value is <= |x|, then pick the nearer of it and the next
// pattern (the pattern after the largest finite one is infinity, standing for the next power of
// two, which is how IEEE overflow works); ties go to the even pattern.
uint16_t encode_ref(Format f, float x) {
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(double(x));
  if (std::isinf(a)) return uint16_t(sign | f.inf_bits());
  uint16_t lo = 0, hi = f.inf_bits();  // decode(lo) <= a < value(hi)
  const double inf_value = std::ldexp(1.0, f.bias() + 1);
  auto value = [&](uint16_t h) { return h == f.inf_bits() ? inf_value : decode(f, h); };
  if (a >= inf_value) return uint16_t(sign | f.inf_bits());
  while (hi - lo > 1) {
    const uint16_t mid = uint16_t((lo + hi) / 2);
    (value(mid) <= a ? lo : hi) = mid;
  }
  const double down = a - value(lo), up = value(hi) - a;  // exact in double
  uint16_t r = lo;
  if (up < down || (up == down && (hi & 1) == 0)) r = hi;
  return uint16_t(sign | r);
}

bool is_nan_bits(Format f, uint16_t h) {
  return (h & f.inf_bits()) == f.inf_bits() && (h & ((1 << f.mant_bits()) - 1)) != 0;
}

// Edge floats for format f: each pattern's value, the midpoints between neighbours (ties), and
// values one float ulp either side of them.
std::vector<float> edge_floats(Format f) {
  std::vector<float> out = {0.0f, -0.0f, INFINITY, -INFINITY, 1.0f, -1.0f,
                            std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                            65504.0f, 65519.0f, 65519.996f, 65520.0f, 65536.0f, -65520.0f,
                            0x1p-24f, 0x1p-25f, 0x1.8p-24f, 0x1p-26f, 0x1.000002p-25f, 0x1p-14f,
                            0x1.ff8p-15f, 0x1.ffcp-15f};
  for (uint32_t h = 0; h < f.inf_bits(); h += (f.exp_bits == 5 ? 1 : 7)) {
    const double v = decode(f, uint16_t(h)), next = decode(f, uint16_t(h + 1));
    const double mids[] = {v, (v + (std::isinf(next) ? std::ldexp(1.0, f.bias() + 1) : next)) / 2};
    for (double m : mids) {
      const float fm = float(m);
      if (double(fm) != m) continue;  // not representable in float: not an exact tie
      for (float x : {fm, std::nextafter(fm, 0.0f), std::nextafter(fm, INFINITY)}) {
        out.push_back(x);
        out.push_back(-x);
      }
    }
  }
  return out;
}

// Random floats: uniform bit patterns over every float, and over the exponents near format f's
// range (its subnormals through its overflow).
std::vector<float> random_floats(std::mt19937& rng, Format f, size_t n) {
  std::uniform_int_distribution<uint32_t> bits;
  const int lo_exp = std::max(0, 127 - f.bias() - f.mant_bits() - 2), hi_exp = std::min(254, 127 + f.bias() + 2);
  std::uniform_int_distribution<int> exp(lo_exp, hi_exp);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t b = bits(rng);
    if (i % 4 != 0) b = (b & 0x807fffffu) | (uint32_t(exp(rng)) << 23);
    out[i] = bits_to_float(b);
  }
  return out;
}

void check_encoding(Format f, uint16_t (*encode)(float), const std::vector<float>& xs) {
  for (float x : xs) {
    const uint16_t got = encode(x);
    CAPTURE(x, float_to_bits(x), got);
    if (std::isnan(x)) {
      REQUIRE(is_nan_bits(f, got));  // NaN stays NaN (never becomes infinity)
    } else {
      REQUIRE(got == encode_ref(f, x));
    }
  }
}

}  // namespace

TEST_CASE("f16 decoding and round trip, exhaustive over all 65536 patterns", "[half]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const double ref = decode(kF16, uint16_t(h));
    const float got = f16_to_f32(uint16_t(h));
    CAPTURE(h, got, ref);
    if (std::isnan(ref)) {
      REQUIRE(std::isnan(got));
      REQUIRE(is_nan_bits(kF16, f32_to_f16(got)));
      continue;
    }
    REQUIRE(double(got) == ref);
    REQUIRE(std::signbit(got) == bool(h & 0x8000));
    REQUIRE(f32_to_f16(got) == h);
  }
}

TEST_CASE("bf16 decoding and round trip, exhaustive over all 65536 patterns", "[half]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const double ref = decode(kBF16, uint16_t(h));
    const float got = bf16_to_f32(uint16_t(h));
    CAPTURE(h, got, ref);
    if (std::isnan(ref)) {
      REQUIRE(std::isnan(got));
      REQUIRE(is_nan_bits(kBF16, f32_to_bf16(got)));
      continue;
    }
    REQUIRE(double(got) == ref);
    REQUIRE(std::signbit(got) == bool(h & 0x8000));
    REQUIRE(f32_to_bf16(got) == h);
  }
}

TEST_CASE("f32_to_f16 rounds to nearest even", "[half]") {
  std::mt19937 rng(1234);
  check_encoding(kF16, f32_to_f16, edge_floats(kF16));
  check_encoding(kF16, f32_to_f16, random_floats(rng, kF16, 2'000'000));
  // Spot checks of the reference itself, so a wrong reference cannot pass silently.
  CHECK(encode_ref(kF16, 65519.0f) == 0x7bff);
  CHECK(encode_ref(kF16, 65520.0f) == 0x7c00);
  CHECK(encode_ref(kF16, 0x1p-25f) == 0x0000);    // tie between 0 and 2^-24: even is 0
  CHECK(encode_ref(kF16, 0x1.8p-24f) == 0x0002);  // tie between 1 and 2 ulps: even is 2
  CHECK(encode_ref(kF16, -1e-10f) == 0x8000);
  CHECK(encode_ref(kF16, 1.0f + 0x1p-11f) == 0x3c00);  // tie, down to the even 1.0
  CHECK(encode_ref(kF16, 1.0f + 0x1.8p-10f) == 0x3c02);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK(f32_to_f16(1e6f) == 0x7c00);
  CHECK(f32_to_f16(-1e6f) == 0xfc00);
}

TEST_CASE("f32_to_bf16 rounds to nearest even and NaN stays NaN", "[half]") {
  std::mt19937 rng(4321);
  check_encoding(kBF16, f32_to_bf16, edge_floats(kBF16));
  check_encoding(kBF16, f32_to_bf16, random_floats(rng, kBF16, 2'000'000));
  CHECK(encode_ref(kBF16, 1.0f + 0x1p-8f) == 0x3f80);  // tie to even (down)
  CHECK(encode_ref(kBF16, 1.0f + 0x1.8p-7f) == 0x3f82);  // tie to even (up)
  CHECK(encode_ref(kBF16, std::numeric_limits<float>::max()) == 0x7f80);  // overflows
  CHECK(f32_to_bf16(-0.0f) == 0x8000);
  // Signalling and quiet NaNs whose payload sits only in the low 16 bits must not become inf.
  for (uint32_t bits : {0x7f800001u, 0xff800001u, 0x7fc00000u, 0x7f80ffffu, 0xffffffffu}) {
    CAPTURE(bits);
    CHECK(is_nan_bits(kBF16, f32_to_bf16(bits_to_float(bits))));
    CHECK(std::isnan(bf16_to_f32(f32_to_bf16(bits_to_float(bits)))));
  }
  for (uint32_t bits : {0x7f800001u, 0x7fc00000u, 0xffc00123u}) {
    CHECK(is_nan_bits(kF16, f32_to_f16(bits_to_float(bits))));
  }
}

}  // namespace strata

namespace strata {

TEST_CASE("round_to_half (the KV cache's row converter) equals f32_to_f16 and f32_to_bf16",
          "[half]") {
  // f32_to_f16 / f32_to_bf16 are checked against double above; the vectorizable row converter
  // must give their bits for every input: random bit patterns (every exponent, NaN, inf,
  // subnormals) and the edges of f16's range and of its rounding.
  std::mt19937 rng(2026);
  std::vector<float> x;
  for (int i = 0; i < 1 << 20; ++i) x.push_back(bits_to_float(uint32_t(rng())));
  for (uint32_t b : {0x00000000u, 0x80000000u, 0x477fe000u, 0x477fefffu, 0x477ff000u,
                     0x477fffffu, 0x47800000u, 0x7f800000u, 0xff800000u, 0x7fc00001u, 0x38800000u,
                     0x387fffffu, 0x33000000u, 0x33000001u, 0x32ffffffu, 0x3f801000u, 0x3f803000u})
    x.push_back(bits_to_float(b));
  for (int i = 0; i < 1 << 16; ++i) x.push_back(std::ldexp(float(i), -24 - i % 3));  // subnormals
  std::vector<uint16_t> f16(x.size()), bf16(x.size());
  round_to_half(x.data(), int64_t(x.size()), false, f16.data());
  round_to_half(x.data(), int64_t(x.size()), true, bf16.data());
  size_t bad16 = x.size(), bad_bf16 = x.size();
  for (size_t i = x.size(); i-- > 0;) {
    if (f16[i] != f32_to_f16(x[i])) bad16 = i;
    if (bf16[i] != f32_to_bf16(x[i])) bad_bf16 = i;
  }
  CAPTURE(bad16 < x.size() ? float_to_bits(x[bad16]) : 0u);
  CHECK(bad16 == x.size());
  CHECK(bad_bf16 == x.size());
}

}  // namespace strata
