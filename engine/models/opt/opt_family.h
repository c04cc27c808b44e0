// The OPT family (transformers' modeling_opt): every released OPT shape, pre-LayerNorm models
// and opt-350m's post-LayerNorm shape with word_embed_proj_dim != hidden_size
// (project_in / project_out). Learned positions: position p reads row p + 2 of the table.
#pragma once

#include "engine/models/model_family.h"

namespace strata {

const ModelFamily& opt_family();

}  // namespace strata
