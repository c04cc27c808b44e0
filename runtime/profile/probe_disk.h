// The disk side of probe_hardware (hardware_probe.h): sequential read and write rates of a test
// file in the offload directory through UringFile (the weight store's io_uring path), and how
// much those reads slow the backend's GEMMs (HardwareProfile::io_compute_share).
#pragma once

#include <filesystem>
#include <vector>

#include "runtime/profile/hardware_probe.h"
#include "engine/backend/backend.h"
#include "offload/io_request.h"

namespace strata {

struct DiskRates {
  double read = 0, write = 0;  // bytes/s
  bool direct = true;          // false: O_DIRECT was refused, the figures include the page cache
};

// The probe's test file on the offload disk, written by disk_rates() and removed with this.
struct ProbeFile {
  std::filesystem::path path;
  std::vector<IoRequest> requests;  // sequential 4 MiB pieces covering it, into `buffer`
  MemoryBlock buffer;
  ProbeFile() = default;
  ProbeFile(const ProbeFile&) = delete;
  ProbeFile& operator=(const ProbeFile&) = delete;
  ~ProbeFile();
};

// Writes o.disk_bytes (rounded to 4 MiB, at least 4 MiB) to file.path from a host block of
// `memory` (pinned where the backend pins: the executor reads into such blocks), then reads it
// back; sequential 4 MiB requests, as the weight store streams a layer.
DiskRates disk_rates(const ProbeOptions& o, DeviceMemory& memory, ProbeFile& file);

// How much longer a fixed GEMM workload (shapes.io_share_products prefill-shaped products) takes
// while another thread reads the test file back to back through UringFile (the disk worker's
// path), per second of that reading. The disk is busy the whole time, so the share is the
// slowdown over the time taken; clamped to [0, 1].
double io_compute_share(Backend& be, const ProbeShapes& shapes, ProbeFile& file);

}  // namespace strata
