#include "engine/backend/cuda/cuda_transfers.h"

#include "engine/backend/cuda/cuda_check.h"

namespace strata::cuda {
namespace {

void copy_on(const CudaStream& stream, void* dst, const void* src, size_t bytes,
             cudaMemcpyKind kind, const CudaEvent* after, CudaEvent& done) {
  if (after) stream.wait(*after);
  if (bytes > 0) STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream.get()));
  done.record(stream);
}

}  // namespace

void CudaTransfers::to_device(void* device_dst, const void* host_src, size_t bytes,
                              const CudaEvent* after, CudaEvent& done) {
  copy_on(h2d_, device_dst, host_src, bytes, cudaMemcpyHostToDevice, after, done);
}

void CudaTransfers::to_host(void* host_dst, const void* device_src, size_t bytes,
                            const CudaEvent* after, CudaEvent& done) {
  copy_on(d2h_, host_dst, device_src, bytes, cudaMemcpyDeviceToHost, after, done);
}

}  // namespace strata::cuda
