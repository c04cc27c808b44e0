// Asks the CUDA runtime whether a usable GPU is present. Plain C++ header (no CUDA includes) so
// that CPU-side code can call it; defined in cuda_probe.cu, built only when STRATA_WITH_CUDA.
#pragma once

#include <string>

namespace strata::cuda {

struct CudaProbe {
  bool usable = false;
  std::string description;  // "NVIDIA H100 (sm_90, 79.1 GiB)" or why no GPU can be used
};

CudaProbe probe_cuda();

}  // namespace strata::cuda
