// Rotary position embedding settings and their inverse frequencies, as transformers'
// ROPE_INIT_FUNCTIONS compute them for the types Strata supports: default, linear, dynamic (NTK)
// and llama3. The backend's rope op rotates q and k with these frequencies (rotate_half layout).
#pragma once

#include <cstdint>
#include <vector>

namespace strata {

enum class RopeType { none, linear, dynamic, llama3 };  // none: transformers' "default"

struct RopeConfig {
  double theta = 10000.0;          // rope_theta
  RopeType type = RopeType::none;
  double factor = 1.0;             // linear, dynamic, llama3
  double low_freq_factor = 1.0;    // llama3
  double high_freq_factor = 4.0;   // llama3
  int64_t original_max_positions = 0;  // llama3: the pre-training context; dynamic: see .cpp
};

const char* to_string(RopeType type);  // transformers' rope_type names

// head_dim / 2 inverse frequencies for a step whose positions reach `seq_len` - 1: only the
// dynamic type depends on it (transformers grows the base once a sequence passes
// max_position_embeddings). Computed in float32 as transformers does, so the angles match.
std::vector<float> rope_inv_freq(const RopeConfig& rope, int64_t head_dim,
                                 int64_t max_positions, int64_t seq_len);

}  // namespace strata
