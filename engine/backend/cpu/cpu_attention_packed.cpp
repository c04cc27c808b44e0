// CPU attention over a compressed KV cache: k_cache and v_cache are packed q4/q8
// [B, S_max, kv_heads, head_dim], groups along head_dim (engine/models/kv_format.h); query head h
// reads KV head h / (heads / kv_heads), and a window limits the oldest slot (backend.h). The result is
// cpu_attention.cpp's over the dequantized cache, bit for bit: the same fp32 operations in the
// same order for every (sequence, query, head) — dot products over i, then max, exp and sum over
// slots in slot order, then the weighted sum of values in slot order.
//
// What differs is where the fp32 keys and values come from: one slot's K (or V) row of every
// KV head is dequantized into a [kv_heads, head_dim] scratch row (quant's dequantizer, bit-identical
// to its scalar reference), used by a tile of up to kQueryTile queries, and dropped; no fp32
// copy of the cache exists. With one query (decode) each row is dequantized once per step;
// a prefill of T queries dequantizes each row ceil(T / tile) times instead of T times, and the
// scores of the tile ([tile, heads, slots]) are all it keeps.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/backend/cpu/cpu_attention_head.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/quantize_matrix.h"
#include "quant/dequantize_cpu.h"

namespace strata {
namespace {

constexpr int64_t kQueryTile = 16;
constexpr int64_t kMaxTileScores = int64_t(1) << 20;  // floats: 4 MiB of scores at most

}  // namespace

void CpuBackend::packed_attention(const AttentionArgs& a) {
  const int64_t batch = a.q.dim(0), t_new = a.q.dim(1), e = a.q.dim(2);
  const int64_t s_max = a.k_cache.dim(1), heads = a.num_heads, d = e / heads;
  const int64_t kv_heads = a.kv_heads(), group = heads / kv_heads;
  const quant::QuantFormat qf = quant_format_of(a.k_cache.format());
  const size_t slot_bytes = size_t(kv_heads) * format_row_bytes(a.k_cache.format(), d);
  const int64_t tile = std::clamp<int64_t>(kMaxTileScores / std::max<int64_t>(1, heads * s_max), 1,
                                           kQueryTile);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  slot_row_.resize(size_t(kv_heads * d));
  std::vector<float> max_score(size_t(tile * heads)), inv_total(size_t(tile * heads));
  // K or V row of slot s of sequence b, dequantized into slot_row_: [kv_heads, head_dim].
  const auto load_row = [&](const Tensor& cache, int64_t b, int64_t s) {
    const quant::QuantMatrix row{qf, cache.data<uint8_t>() + size_t(b * s_max + s) * slot_bytes,
                                 kv_heads, d};
    quant::dequantize_cpu(row, 0, kv_heads, slot_row_.data(), isa_);
  };
  for (int64_t b = 0; b < batch; ++b) {
    const uint8_t* valid = a.key_valid + b * s_max;
    for (int64_t t0 = 0; t0 < t_new; t0 += tile) {
      const int64_t n = std::min(tile, t_new - t0);
      const int64_t width = a.first_query_slot + t0 + n;  // slots any query of the tile sees
      // The tile's first query sees the oldest slots; a query sees [first_visible, last].
      const int64_t oldest = first_visible_slot(a.first_query_slot + t0, a.window);
      const auto sees = [&](int64_t q, int64_t s) {
        const int64_t last = a.first_query_slot + t0 + q;
        return s <= last && s >= first_visible_slot(last, a.window);
      };
      scores_.resize(size_t(n * heads * width));
      const auto score = [&](int64_t q, int64_t h, int64_t s) -> float& {
        return scores_[size_t((q * heads + h) * width + s)];
      };
      std::fill(max_score.begin(), max_score.end(), neg_inf);
      for (int64_t s = oldest; s < width; ++s) {
        if (!valid[s]) continue;
        load_row(a.k_cache, b, s);
        for (int64_t q = 0; q < n; ++q) {
          if (!sees(q, s)) continue;  // after this query, or out of its window
          const float* query = a.q.data<float>() + (b * t_new + t0 + q) * e;
          for (int64_t h = 0; h < heads; ++h) {
            const float* qh = query + h * d;
            const float* k = slot_row_.data() + (h / group) * d;
            float dot = 0.0f;
            for (int64_t i = 0; i < d; ++i) dot += qh[i] * k[i];
            score(q, h, s) = dot * a.scale;
            float& top = max_score[size_t(q * heads + h)];
            top = std::max(top, score(q, h, s));
          }
        }
      }
      for (int64_t q = 0; q < n; ++q) {
        const int64_t last = a.first_query_slot + t0 + q;
        float* out = a.out.data<float>() + (b * t_new + t0 + q) * e;
        std::fill(out, out + e, 0.0f);
        for (int64_t h = 0; h < heads; ++h) {
          const float top = max_score[size_t(q * heads + h)];
          if (top == neg_inf) continue;  // a padding query: its output stays zero
          float total = 0.0f;
          for (int64_t s = first_visible_slot(last, a.window); s <= last; ++s) {
            if (!valid[s]) continue;
            score(q, h, s) = std::exp(score(q, h, s) - top);
            total += score(q, h, s);
          }
          inv_total[size_t(q * heads + h)] = 1.0f / total;
        }
      }
      for (int64_t s = oldest; s < width; ++s) {
        if (!valid[s]) continue;
        load_row(a.v_cache, b, s);
        for (int64_t q = 0; q < n; ++q) {
          if (!sees(q, s)) continue;
          float* out = a.out.data<float>() + (b * t_new + t0 + q) * e;
          for (int64_t h = 0; h < heads; ++h) {
            if (max_score[size_t(q * heads + h)] == neg_inf) continue;
            const float p = score(q, h, s) * inv_total[size_t(q * heads + h)];
            const float* v = slot_row_.data() + (h / group) * d;
            float* o = out + h * d;
            for (int64_t i = 0; i < d; ++i) o[i] += p * v[i];
          }
        }
      }
    }
  }
}

}  // namespace strata
