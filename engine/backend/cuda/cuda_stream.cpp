#include "engine/backend/cuda/cuda_stream.h"

#include <utility>

#include "engine/backend/cuda/cuda_check.h"

namespace strata::cuda {

CudaStream::CudaStream() {
  STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaStream::~CudaStream() {
  if (stream_) cudaStreamDestroy(stream_);  // status ignored: destructors never throw
}

CudaStream::CudaStream(CudaStream&& other) noexcept
    : stream_(std::exchange(other.stream_, nullptr)) {}

CudaStream& CudaStream::operator=(CudaStream&& other) noexcept {
  if (this != &other) {
    if (stream_) cudaStreamDestroy(stream_);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void CudaStream::wait(const CudaEvent& event) const {
  STRATA_CUDA_CHECK(cudaStreamWaitEvent(stream_, event.get(), 0));
}

void CudaStream::synchronize() const { STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

CudaEvent::CudaEvent() {
  STRATA_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
}

CudaEvent::~CudaEvent() {
  if (event_) cudaEventDestroy(event_);
}

CudaEvent::CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

CudaEvent& CudaEvent::operator=(CudaEvent&& other) noexcept {
  if (this != &other) {
    if (event_) cudaEventDestroy(event_);
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void CudaEvent::record(const CudaStream& stream) { record(stream.get()); }

void CudaEvent::record(cudaStream_t stream) {
  STRATA_CUDA_CHECK(cudaEventRecord(event_, stream));
}

void CudaEvent::synchronize() const { STRATA_CUDA_CHECK(cudaEventSynchronize(event_)); }

bool CudaEvent::done() const {
  const cudaError_t err = cudaEventQuery(event_);
  if (err == cudaErrorNotReady) {
    // Not an error; make sure a later launch check does not read it back as one.
    if (cudaPeekAtLastError() == cudaErrorNotReady) cudaGetLastError();
    return false;
  }
  STRATA_CUDA_CHECK(err);
  return true;
}

}  // namespace strata::cuda
