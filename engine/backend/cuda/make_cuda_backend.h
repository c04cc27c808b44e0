// The CUDA backend's factory, callable from plain C++ (no CUDA header): make_backend() uses it
// when Strata is built with CUDA. Defined in cuda_backend.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/backend/backend.h"

namespace strata {

// A CudaBackend on the current device with default options; throws strata::InputError naming
// the reason (no driver, no device) when no usable GPU answers.
std::unique_ptr<Backend> make_cuda_backend(std::function<void(const std::string&)> warn = {});

}  // namespace strata
