// Internal engine of UringFile (not a public interface): runs one batch of requests to
// completion on io_uring or with pread/pwrite. Cuts requests into pieces (block-aligned direct
// pieces, bounce pieces for unaligned read heads and tails), keeps at most queue_depth pieces in
// flight, checks every completion, resubmits short transfers and retries -EAGAIN / -EINTR.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <span>

#include "offload/io_request.h"
#include "offload/uring_file_options.h"

namespace strata::io_detail {

// Per-file counters behind the injected faults (IoFaults), so tests can reach them repeatably.
struct FaultCounters {
  uint64_t completions = 0;
  uint64_t write_bytes_submitted = 0;
};

struct BatchSetup {
  int fd = -1;
  IoDirection direction = IoDirection::read;
  IoMode mode = IoMode::direct;  // the file's actual mode: direct pieces must be block-aligned
  io_uring* ring = nullptr;      // nullptr: pread/pwrite
  unsigned queue_depth = 1;
  size_t max_piece_bytes = 1u << 20;
  const IoFaults* faults = nullptr;
  FaultCounters* counters = nullptr;
};

// Fills every request's status; returns the number that did not end IoResult::ok. Throws Error
// only when the ring itself fails (submission errors other than EINTR/EAGAIN/EBUSY).
size_t run_io_batch(const BatchSetup& setup, std::span<IoRequest> requests);

}  // namespace strata::io_detail
