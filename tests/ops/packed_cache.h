// Compressed KV caches for the packed-attention tests: a case's fp32 keys and values stored as
// engine/models/kv_format.h stores them (quant's scalar reference, groups along head_dim, one
// packed row per (slot, KV head)), and the same cache dequantized by the reference.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/core/quantize_matrix.h"
#include "engine/models/kv_format.h"
#include "ops/attention_runner.h"
#include "quant/quant_test_util.h"
#include "quant/reference.h"

namespace strata::ops_test {

struct PackedCase : ut::AttentionCase {
  KvFormat format;  // q, k, v, valid as in the base; k, v fp32 before quantization
};

struct Packed {
  std::vector<uint8_t> k, v;        // [b, s] slot rows of format.slot_bytes()
  std::vector<float> k_deq, v_deq;  // the same, dequantized by quant's reference
};

inline Packed pack(const PackedCase& c) {
  Packed p;
  const size_t bytes = size_t(c.b * c.s) * c.format.slot_bytes();
  p.k.resize(bytes);
  p.v.resize(bytes);
  store_kv_rows(c.format, c.k.data(), c.b * c.s, p.k.data());
  store_kv_rows(c.format, c.v.data(), c.b * c.s, p.v.data());
  const quant::QuantFormat qf = quant_format_of(c.format.element);
  for (auto [packed, out] : {std::pair{&p.k, &p.k_deq}, std::pair{&p.v, &p.v_deq}}) {
    out->resize(size_t(c.b * c.s * c.kv_e()));
    quant::dequantize_ref({qf, packed->data(), c.b * c.s * c.kvh(), c.d}, 0, c.b * c.s * c.kvh(),
                          out->data());
  }
  return p;
}

// A random case: 1-3 sequences, 1-4 query heads over a random divisor of KV heads, head_dim a
// multiple of 8 up to 96 (one or two groups per head), prefill / decode / chunk by mode % 3, a
// window on every third mode, 80% valid slots; group 0 keeps kv_format's default group size.
inline PackedCase random_packed_case(std::mt19937& rng, DType bits, int64_t group, int mode) {
  PackedCase c;
  c.b = ut::random_int(rng, 1, 3);
  c.heads = ut::random_int(rng, 1, 4);
  c.kv_heads = c.heads % 2 == 0 && mode % 2 ? c.heads / 2 : mode % 4 == 0 ? 1 : 0;
  c.d = 8 * ut::random_int(rng, 1, 12);
  c.s = ut::random_int(rng, 2, 40);
  switch (mode % 3) {
    case 0:  // prefill
      c.first = 0, c.t = ut::random_int(rng, 2, c.s);
      break;
    case 1:  // decode
      c.t = 1, c.first = ut::random_int(rng, 1, c.s - 1);
      break;
    default:  // a chunk after cached slots
      c.first = ut::random_int(rng, 1, c.s - 1);
      c.t = ut::random_int(rng, 1, c.s - c.first);
  }
  if (mode % 3 == 2 || mode % 5 == 1) c.window = ut::random_int(rng, 1, c.s);
  c.format = kv_format(bits, c.kvh(), c.d);
  if (group > 0) c.format.element.group_size = int32_t(group);  // a ragged or smaller group
  c.scale = float(1.0 / std::sqrt(double(c.d)));
  ut::fill_random_inputs(rng, c, 0.8);
  return c;
}

// The backend's fp32 attention over the reference-dequantized cache.
inline std::vector<float> run_attention_f32(OpBackend& be, const PackedCase& c, const Packed& p) {
  ut::AttentionCase deq = c;
  deq.k = p.k_deq;
  deq.v = p.v_deq;
  return run_attention(be, deq);
}

inline bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace strata::ops_test
