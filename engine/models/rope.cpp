#include "engine/models/rope.h"

#include <algorithm>
#include <cmath>

namespace strata {

const char* to_string(RopeType type) {
  switch (type) {
    case RopeType::none: return "default";
    case RopeType::linear: return "linear";
    case RopeType::dynamic: return "dynamic";
    case RopeType::llama3: return "llama3";
  }
  return "?";
}

namespace {

// transformers: 1 / base ** (arange(0, dim, 2).float() / dim), every step in float32.
std::vector<float> base_inv_freq(double base, int64_t dim) {
  std::vector<float> f(size_t(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = float(2 * i) / float(dim);
    f[size_t(i)] = 1.0f / std::pow(float(base), exponent);
  }
  return f;
}

// _compute_llama3_parameters: long wavelengths slowed by `factor`, short ones kept, the band
// between them blended.
void apply_llama3(const RopeConfig& r, std::vector<float>& f) {
  const double old_context = double(r.original_max_positions);
  const double low_wavelen = old_context / r.low_freq_factor;
  const double high_wavelen = old_context / r.high_freq_factor;
  for (float& inv : f) {
    const float wavelen = 2.0f * float(M_PI) / inv;
    const float scaled = wavelen > float(low_wavelen) ? inv / float(r.factor) : inv;
    const bool medium = !(wavelen < float(high_wavelen)) && !(wavelen > float(low_wavelen));
    if (medium) {
      const float smooth = (float(old_context) / wavelen - float(r.low_freq_factor)) /
                           float(r.high_freq_factor - r.low_freq_factor);
      inv = (1.0f - smooth) * scaled / float(r.factor) + smooth * scaled;
    } else {
      inv = scaled;
    }
  }
}

}  // namespace

std::vector<float> rope_inv_freq(const RopeConfig& r, int64_t head_dim, int64_t max_positions,
                                 int64_t seq_len) {
  switch (r.type) {
    case RopeType::none: return base_inv_freq(r.theta, head_dim);
    case RopeType::linear: {
      // transformers divides the positions by the factor; dividing the frequencies is the same
      // product in float32 up to one rounding.
      std::vector<float> f = base_inv_freq(r.theta, head_dim);
      for (float& v : f) v /= float(r.factor);
      return f;
    }
    case RopeType::dynamic: {
      // _compute_dynamic_ntk_parameters with seq_len = max(seq_len, max_position_embeddings):
      // the base is unchanged until a sequence passes the trained context.
      const double len = double(std::max(seq_len, max_positions));
      const double d = double(head_dim);
      const double base = r.theta * std::pow(r.factor * len / double(max_positions) -
                                                 (r.factor - 1.0), d / (d - 2.0));
      return base_inv_freq(base, head_dim);
    }
    case RopeType::llama3: {
      std::vector<float> f = base_inv_freq(r.theta, head_dim);
      apply_llama3(r, f);
      return f;
    }
  }
  return {};
}

}  // namespace strata
