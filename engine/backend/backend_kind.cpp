#include "engine/backend/backend_kind.h"

#include <filesystem>

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
  if (request == BackendRequest::cuda) {
    if (!probe.usable) fail_input("--backend cuda: ", probe.description);
    return {BackendKind::cuda, ""};
  }
  // The CUDA executor is built and tested on the CPU side, but no GPU session has run its tests
  // yet (docs/cuda.md): until one has, auto keeps the validated CPU path and says how to opt in.
  // A machine without NVIDIA's driver has no GPU worth a line ("driver insufficient" there only
  // says that no GPU exists).
  std::error_code ec;
  const bool driver = std::filesystem::exists("/proc/driver/nvidia", ec) ||
                      std::filesystem::exists("/dev/nvidiactl", ec);
  if (!probe.usable) {
    return {BackendKind::cpu, driver ? probe.description + "; using the CPU backend" : ""};
  }
  return {BackendKind::cpu, probe.description + " found; using the CPU backend (--backend cuda "
                            "runs the CUDA backend, not yet validated on a GPU)"};
#else
  if (request == BackendRequest::cuda) {
    fail_input("--backend cuda: this strata was built without CUDA (no nvcc at build time)");
  }
  return {BackendKind::cpu, ""};
#endif
}

}  // namespace strata
