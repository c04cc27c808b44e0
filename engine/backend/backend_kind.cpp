#include "engine/backend/backend_kind.h"

#include "common/error.h"
#ifdef STRATA_WITH_CUDA
#include "engine/cuda/cuda_probe.h"
#endif

namespace strata {

BackendRequest parse_backend_request(std::string_view text) {
  if (text == "auto") return BackendRequest::automatic;
  if (text == "cpu") return BackendRequest::cpu;
  if (text == "cuda") return BackendRequest::cuda;
  fail_input("--backend: expected auto, cpu or cuda, got '", text, "'");
}

BackendChoice choose_backend(BackendRequest request) {
  if (request == BackendRequest::cpu) return {BackendKind::cpu, ""};
#ifdef STRATA_WITH_CUDA
  const cuda::CudaProbe probe = cuda::probe_cuda();
  // The CUDA backend's op set exists (make_backend(BackendKind::cuda)) but the executor does not
  // drive it yet; until it does, a GPU is detected and reported, and the CPU backend runs.
  const std::string pending = "the CUDA backend is not wired into the executor yet";
  if (request == BackendRequest::cuda) {
    fail_input("--backend cuda: ", probe.usable ? probe.description + " found, but " + pending
                                                : probe.description);
  }
  if (!probe.usable) return {BackendKind::cpu, probe.description + "; using the CPU backend"};
  return {BackendKind::cpu, probe.description + " found, but " + pending + "; using the CPU backend"};
#else
  if (request == BackendRequest::cuda) {
    fail_input("--backend cuda: this strata was built without CUDA (no nvcc at build time)");
  }
  return {BackendKind::cpu, ""};
#endif
}

}  // namespace strata
