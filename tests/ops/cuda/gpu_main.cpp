// main of strata_test_ops_cuda: the op harness on the CUDA backends when a GPU answers;
// without one, make_backend(cuda) must refuse with an InputError, and the run is reported
// skipped (exit 77, ctest SKIP_RETURN_CODE), never passed.
#define CATCH_CONFIG_RUNNER
#include "cuda/gpu_test_main.h"

int main(int argc, char** argv) {
  return strata::cut::gpu_test_main(argc, argv, strata::cut::expect_cuda_refused);
}
