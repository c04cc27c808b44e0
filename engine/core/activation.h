// The feed-forward activation functions models use.
#pragma once

namespace strata {

enum class Activation { relu, gelu };  // gelu: the exact erf form (transformers' "gelu")

}  // namespace strata
