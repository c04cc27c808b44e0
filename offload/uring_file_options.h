// Options of a UringFile: how it is opened, how deep its queue is, where fallback warnings go,
// and fault injection for tests. Plain data, no behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace strata {

// Receives one line per fallback (O_DIRECT refused, io_uring unavailable). The library never
// prints on its own; an empty sink drops the warnings.
using WarningSink = std::function<void(const std::string&)>;

enum class FileAccess : uint8_t {
  read,    // O_RDONLY; the file must exist
  create,  // O_RDWR | O_CREAT | O_TRUNC, mode 0644
  update,  // O_RDWR; the file must exist
};

enum class IoMode : uint8_t {
  direct,    // O_DIRECT: no page cache; reads and writes go straight between disk and buffer
  buffered,  // the page cache (the fallback where a file system refuses O_DIRECT)
};

enum class IoEngine : uint8_t {
  io_uring,  // asynchronous, up to queue_depth pieces in flight
  posix,     // pread/pwrite one piece at a time (fallback where io_uring is unavailable)
};

// Test seams: faults injected into the I/O path, so tests reach the fallback, retry and error
// branches that a healthy machine never takes. All off by default.
struct IoFaults {
  bool refuse_direct = false;  // opening with O_DIRECT fails with EINVAL (tmpfs before Linux 6.6)
  bool refuse_uring = false;   // io_uring_queue_init fails with ENOSYS (seccomp, old kernel)
  size_t max_transfer = 0;     // > 0: each submission asks for at most this many bytes, so every
                               // larger piece completes short and must be resubmitted
  unsigned eagain_every = 0;   // > 0: every n-th completion is replaced by -EAGAIN
  // Writes fail with ENOSPC once the bytes submitted for writing would pass this many.
  uint64_t enospc_after_bytes = std::numeric_limits<uint64_t>::max();
};

struct UringFileOptions {
  FileAccess access = FileAccess::read;
  // Requested mode. With IoMode::direct every write must be 4096-aligned (buffer address,
  // offset, length) even where the file fell back to buffered I/O, so code that passes on
  // tmpfs also passes on a real disk. Reads may be unaligned (see UringFile).
  IoMode mode = IoMode::direct;
  unsigned queue_depth = 32;          // pieces in flight at once (io_uring engine)
  size_t max_piece_bytes = 1u << 20;  // requests are cut into pieces of at most this size (a
                                      // multiple of 4096), so one large read fills the queue
  WarningSink warn;
  IoFaults faults;
};

}  // namespace strata
