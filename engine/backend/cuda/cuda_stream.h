// RAII owners of a CUDA stream and a CUDA event (TensorRT-LLM runtime/cudaStream.h style):
// create in the constructor (throwing strata::Error with the call site on failure), destroy in
// the destructor (never throws), move-only. Dependencies between streams are events:
//   CudaEvent done; done.record(copy_stream); compute_stream.wait(done);
// so no device-wide synchronisation is needed in the hot loop.
#pragma once

#include <cuda_runtime.h>

namespace strata::cuda {

class CudaEvent;

class CudaStream {
 public:
  // A non-blocking stream: it does not synchronise with the legacy default stream.
  CudaStream();
  ~CudaStream();
  CudaStream(CudaStream&& other) noexcept;
  CudaStream& operator=(CudaStream&& other) noexcept;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  cudaStream_t get() const { return stream_; }
  // Work queued on this stream after this call waits for `event`'s recorded work (on device).
  void wait(const CudaEvent& event) const;
  // Blocks the calling host thread until everything queued so far has run. For tests and the
  // end of a step, not for ordering streams among themselves (use events).
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

class CudaEvent {
 public:
  // Timing disabled: the lightest event, for ordering only.
  CudaEvent();
  ~CudaEvent();
  CudaEvent(CudaEvent&& other) noexcept;
  CudaEvent& operator=(CudaEvent&& other) noexcept;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  cudaEvent_t get() const { return event_; }
  // Captures the work queued on `stream` so far.
  void record(const CudaStream& stream);
  void record(cudaStream_t stream);
  // Blocks the calling host thread until the recorded work has run (at once if never recorded).
  void synchronize() const;
  // True when the recorded work has run (or nothing was recorded).
  bool done() const;

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace strata::cuda
