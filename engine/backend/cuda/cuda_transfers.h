// CudaTransfers: host->device and device->host copies, each direction on its own stream
// (DESIGN.md "Executor": one queue per resource), ordered among themselves and with compute by
// events only, never by a device-wide synchronisation:
//
//   transfers.to_device(dev, pinned_src, n, /*after=*/nullptr, loaded);   // H2D stream
//   compute.wait(loaded); ...kernels...; computed.record(compute);
//   transfers.to_host(pinned_dst, dev_out, n, &computed, stored);         // D2H stream
//   stored.synchronize();  // only where the host must read the result
//
// Host memory should come from a PinnedHostPool: with pageable memory the copy still happens but
// is staged synchronously by the driver, so it no longer overlaps.
#pragma once

#include <cstddef>

#include "engine/backend/cuda/cuda_stream.h"

namespace strata::cuda {

class CudaTransfers {
 public:
  CudaTransfers() = default;

  // Queues a copy of `bytes` bytes on the host->device stream after `after` (null: no extra
  // dependency) and records `done` behind it.
  void to_device(void* device_dst, const void* host_src, size_t bytes, const CudaEvent* after,
                 CudaEvent& done);
  // The same on the device->host stream.
  void to_host(void* host_dst, const void* device_src, size_t bytes, const CudaEvent* after,
               CudaEvent& done);

  const CudaStream& h2d() const { return h2d_; }
  const CudaStream& d2h() const { return d2h_; }

 private:
  CudaStream h2d_;
  CudaStream d2h_;
};

}  // namespace strata::cuda
