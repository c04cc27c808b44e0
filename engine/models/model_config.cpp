#include "engine/models/model_config.h"

#include <algorithm>

namespace strata {

bool ModelConfig::is_eos(int32_t token) const {
  return std::find(eos_token_ids.begin(), eos_token_ids.end(), token) != eos_token_ids.end();
}

}  // namespace strata
