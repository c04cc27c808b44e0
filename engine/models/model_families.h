// The families Strata knows, one per folder; model_family.cpp lists them in model_families().
#pragma once

#include "engine/models/model_family.h"

namespace strata {

const ModelFamily& opt_family();
const ModelFamily& llama_family();
const ModelFamily& mistral_family();
const ModelFamily& qwen2_family();
const ModelFamily& qwen3_family();

}  // namespace strata
