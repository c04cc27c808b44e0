#include "engine/cuda/cuda_probe.h"

#include <cuda_runtime.h>

#include <cstdio>

#include "engine/backend/cuda/cuda_check.h"

namespace strata::cuda {

CudaProbe probe_cuda() {
  CudaProbe probe;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    probe.description = std::string("no usable CUDA device (") + cudaGetErrorName(err) + ": " +
                        cudaGetErrorString(err) + ")";
    return probe;
  }
  if (count == 0) {
    probe.description = "no CUDA device present";
    return probe;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    probe.description = "CUDA device 0 did not report its properties";
    return probe;
  }
  char text[256];
  std::snprintf(text, sizeof text, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                double(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  probe.usable = true;
  probe.description = text;
  return probe;
}

CudaMemoryInfo cuda_memory_info() {
  CudaMemoryInfo info;
  STRATA_CUDA_CHECK(cudaMemGetInfo(&info.free, &info.total));
  return info;
}

}  // namespace strata::cuda
