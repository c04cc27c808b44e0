// Asks the CUDA runtime whether a usable GPU is present, and how much memory it has. Plain C++
// header (no CUDA includes) so that CPU-side code can call it; defined in cuda_probe.cu, built
// only when STRATA_WITH_CUDA.
#pragma once

#include <cstddef>
#include <string>

namespace strata::cuda {

struct CudaProbe {
  bool usable = false;
  std::string description;  // "NVIDIA H100 (sm_90, 79.1 GiB)" or why no GPU can be used
};

CudaProbe probe_cuda();

// Bytes of memory on the current CUDA device as cudaMemGetInfo reports them: `total` is the
// device's, `free` what no context holds now. Throws strata::Error naming the CUDA error when the
// query fails (no driver, no device).
struct CudaMemoryInfo {
  size_t total = 0;
  size_t free = 0;
};
CudaMemoryInfo cuda_memory_info();

}  // namespace strata::cuda
