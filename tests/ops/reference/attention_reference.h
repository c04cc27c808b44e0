// The float64 attention reference every attention test checks against (fp32 and packed caches,
// grouped-query heads, sliding windows, the partial-attention merge, every backend):
// softmax(scale · q·k) · v per query head over the visible slots of its KV head, written simply
// and separately from every kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "engine/test_support.h"

namespace strata::ut {

struct AttentionCase {
  int64_t b = 1, t = 1, s = 1, heads = 1, d = 8, first = 0;
  float scale = 1.0f;
  std::vector<float> q, k, v;  // q: [b, t, e]; k, v: [b, s, kv_e]
  std::vector<uint8_t> valid;  // [b, s]
  int64_t kv_heads = 0;        // 0: heads (no grouping)
  int64_t window = 0;          // 0: unlimited; else query at slot p sees slots (p - window, p]
  int64_t e() const { return heads * d; }
  int64_t kvh() const { return kv_heads == 0 ? heads : kv_heads; }
  int64_t kv_e() const { return kvh() * d; }
  // The KV head query head h reads (transformers repeat_kv: KV head g serves query heads
  // g * group .. g * group + group - 1).
  int64_t kv_head_of(int64_t h) const { return h / (heads / kvh()); }
  // Whether query t sees slot s of sequence b (ignoring any part's bounds).
  bool sees(int64_t b, int64_t t, int64_t s) const {
    const int64_t p = first + t;
    return valid[size_t(b * this->s + s)] && s <= p && (window == 0 || s > p - window);
  }
};

struct AttentionRef {
  std::vector<double> out;       // [b, t, e]; zero rows where no slot is visible
  std::vector<double> max, sum;  // [b, t, heads]; -inf and 0 where no slot is visible
};

// Attention of c.q over keys k and values v ([b, s, kv_e]) restricted to slots [lo, hi): query t
// sees the slots c.sees() allows.
inline AttentionRef attention_reference(const AttentionCase& c, const std::vector<float>& k,
                                        const std::vector<float>& v, int64_t lo, int64_t hi) {
  const int64_t e = c.e(), kv_e = c.kv_e();
  AttentionRef r{std::vector<double>(size_t(c.b * c.t * e), 0.0),
                 std::vector<double>(size_t(c.b * c.t * c.heads), -INFINITY),
                 std::vector<double>(size_t(c.b * c.t * c.heads), 0.0)};
  std::vector<double> score;
  std::vector<int64_t> slot;
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t t = 0; t < c.t; ++t) {
      for (int64_t h = 0; h < c.heads; ++h) {
        const int64_t g = c.kv_head_of(h);
        score.clear();
        slot.clear();
        for (int64_t s = lo; s < hi; ++s) {
          if (!c.sees(b, t, s)) continue;
          double dot = 0.0;
          for (int64_t i = 0; i < c.d; ++i) {
            dot += double(c.q[size_t((b * c.t + t) * e + h * c.d + i)]) *
                   double(k[size_t((b * c.s + s) * kv_e + g * c.d + i)]);
          }
          score.push_back(dot * double(c.scale));
          slot.push_back(s);
        }
        if (score.empty()) continue;
        const double top = *std::max_element(score.begin(), score.end());
        double total = 0.0;
        for (double& x : score) total += (x = std::exp(x - top));
        r.max[size_t((b * c.t + t) * c.heads + h)] = top;
        r.sum[size_t((b * c.t + t) * c.heads + h)] = total;
        for (size_t j = 0; j < score.size(); ++j) {
          const double p = score[j] / total;
          for (int64_t i = 0; i < c.d; ++i) {
            r.out[size_t((b * c.t + t) * e + h * c.d + i)] +=
                p * double(v[size_t((b * c.s + slot[j]) * kv_e + g * c.d + i)]);
          }
        }
      }
    }
  }
  return r;
}

// Over the whole cache of the case itself.
inline AttentionRef attention_reference(const AttentionCase& c) {
  return attention_reference(c, c.k, c.v, 0, c.s);
}

// Which queries a random case asks for: a whole prompt from slot 0, one decoding token, or a
// chunk of queries after slots already filled.
enum class AttentionMode { prefill, decode, chunk };

// The ranges a random case is drawn from (each test keeps its own).
struct AttentionCaseRanges {
  int64_t max_head_dim = 16;
  int64_t max_slots = 24;
  int64_t min_prefill_queries = 2;
  int64_t min_decode_slot = 1;    // the decoding query's slot
  int64_t max_scale_tenths = 20;  // scale = head_dim^-0.5 x [0.5, max / 10]
  double keep = 0.75;             // chance that a slot is valid
  int64_t max_heads = 4;
  bool grouped = false;   // kv_heads: a random divisor of heads (else equal to heads)
  bool windowed = false;  // window: a random 1 .. s + 1 (else unlimited)
};

// A random case: 1-3 sequences, 1-max_heads heads, random q, k, v and valid slots.
// Random q, k and v for c's shape, and each slot valid with chance `keep`.
inline void fill_random_inputs(std::mt19937& rng, AttentionCase& c, double keep_rate) {
  c.q = random_floats(rng, size_t(c.b * c.t * c.e()));
  c.k = random_floats(rng, size_t(c.b * c.s * c.kv_e()));
  c.v = random_floats(rng, size_t(c.b * c.s * c.kv_e()));
  std::bernoulli_distribution keep(keep_rate);
  c.valid.resize(size_t(c.b * c.s));
  for (auto& x : c.valid) x = keep(rng) ? 1 : 0;
}

inline AttentionCase random_attention_case(std::mt19937& rng, AttentionMode mode,
                                           const AttentionCaseRanges& r) {
  AttentionCase c;
  c.b = random_int(rng, 1, 3);
  c.heads = random_int(rng, 1, r.max_heads);
  c.d = random_int(rng, 1, r.max_head_dim);
  c.s = random_int(rng, 2, r.max_slots);
  switch (mode) {
    case AttentionMode::prefill:
      c.first = 0;
      c.t = random_int(rng, r.min_prefill_queries, c.s);
      break;
    case AttentionMode::decode:
      c.t = 1;
      c.first = random_int(rng, r.min_decode_slot, c.s - 1);
      break;
    case AttentionMode::chunk:
      c.first = random_int(rng, 1, c.s - 1);
      c.t = random_int(rng, 1, c.s - c.first);
      break;
  }
  if (r.grouped) {
    std::vector<int64_t> divisors;
    for (int64_t g = 1; g <= c.heads; ++g)
      if (c.heads % g == 0) divisors.push_back(g);
    c.kv_heads = divisors[size_t(random_int(rng, 0, int64_t(divisors.size()) - 1))];
  }
  if (r.windowed) c.window = random_int(rng, 1, c.s + 1);
  c.scale =
      float(1.0 / std::sqrt(double(c.d))) * float(random_int(rng, 5, r.max_scale_tenths)) / 10.0f;
  fill_random_inputs(rng, c, r.keep);
  return c;
}

// Garbage (NaN) in every K and V element no query may read: masked slots, slots after the last
// query, and slots older than every query's window. A kernel that reads one shows NaN.
inline void poison_unseen_slots(AttentionCase& c) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t s = 0; s < c.s; ++s) {
      bool seen = false;
      for (int64_t t = 0; t < c.t && !seen; ++t) seen = c.sees(b, t, s);
      if (seen) continue;
      for (int64_t i = 0; i < c.kv_e(); ++i) {
        c.k[size_t((b * c.s + s) * c.kv_e() + i)] = nan;
        c.v[size_t((b * c.s + s) * c.kv_e() + i)] = nan;
      }
    }
  }
}

}  // namespace strata::ut
