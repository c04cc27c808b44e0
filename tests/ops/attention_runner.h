// Runs Backend::attention for an AttentionCase (reference/attention_reference.h) on a backend:
// q and the cache uploaded to its device memory, out filled with NaN first (an element left
// unwritten shows), key_valid from the host as the op takes it. And the output check every
// attention test shares.
#pragma once

#include <cmath>
#include <vector>

#include "engine/models/kv_format.h"
#include "ops/attention_args.h"
#include "ops/harness.h"
#include "ops/reference/attention_reference.h"

namespace strata::ops_test {

inline AttentionArgs attention_args(const ut::AttentionCase& c, const DeviceData& q, Tensor k_cache,
                                    Tensor v_cache, const DeviceData& out) {
  return attention_args(c, q.tensor(DType::f32, {c.b, c.t, c.e()}), k_cache, v_cache,
                        out.tensor(DType::f32, {c.b, c.t, c.e()}));
}

// Over an fp32 cache [b, s, kv_e] holding c.k and c.v.
inline std::vector<float> run_attention(OpBackend& be, const ut::AttentionCase& c) {
  DeviceData q(*be, c.q), k(*be, c.k), v(*be, c.v), out(*be, nan_floats(c.q.size()));
  be->attention(attention_args(c, q, k.tensor(DType::f32, {c.b, c.s, c.kv_e()}),
                               v.tensor(DType::f32, {c.b, c.s, c.kv_e()}), out));
  return out.floats();
}

// Over a compressed cache: k and v are [b, s] slot rows of `format` (store_kv_rows' bytes).
inline std::vector<float> run_attention_packed(OpBackend& be, const ut::AttentionCase& c,
                                               const KvFormat& format,
                                               const std::vector<uint8_t>& k,
                                               const std::vector<uint8_t>& v) {
  DeviceData q(*be, c.q), dk(*be, k), dv(*be, v), out(*be, nan_floats(c.q.size()));
  be->attention(attention_args(c, q, kv_view(format, dk.data(), c.b, c.s, Place::device),
                               kv_view(format, dv.data(), c.b, c.s, Place::device), out));
  return out.floats();
}

// Normalized error within tol, every element finite, and rows of queries that see no slot
// exactly zero.
inline void check_attention_output(const std::vector<float>& out, const std::vector<double>& ref,
                                   double tol) {
  CHECK(ut::normalized_error(out, ref) < tol);
  for (size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(out[i]));
    if (ref[i] == 0.0) REQUIRE(out[i] == 0.0f);  // fully masked query rows are exact zeros
  }
}

}  // namespace strata::ops_test
