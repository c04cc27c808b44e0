// The main of a Catch2 GPU test executable: the session when a GPU answers, else `no_gpu(why)`
// (what must hold without one; it returns 77 — ctest's SKIP_RETURN_CODE — or 1). A failed run
// returns 1, never 77, so a failure is never reported as skipped.
#pragma once

#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>

#include "common/error.h"
#include "engine/backend/backend.h"

namespace strata::cut {

template <typename NoGpu>
int gpu_test_main(int argc, char** argv, NoGpu&& no_gpu) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();  // handled here
    return no_gpu(err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA device");
  }
  return Catch::Session().run(argc, argv) == 0 ? 0 : 1;
}

// The no-GPU check of a backend test: asking for the CUDA backend must fail with an InputError
// that says why; then the run is skipped (77). Anything else is a failure (1).
inline int expect_cuda_refused(const char*) {
  try {
    make_backend(BackendKind::cuda);
    std::printf("FAIL: make_backend(cuda) succeeded without a GPU\n");
    return 1;
  } catch (const InputError& e) {
    std::printf("no GPU (make_backend(cuda): %s): skipped\n", e.what());
    return 77;
  } catch (const std::exception& e) {
    std::printf("FAIL: make_backend(cuda) without a GPU threw a non-input error: %s\n", e.what());
    return 1;
  }
}

}  // namespace strata::cut
