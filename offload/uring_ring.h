// UringRing: RAII owner of one io_uring instance (liburing's struct io_uring): created with a
// fixed number of submission entries, torn down with io_uring_queue_exit. Move-only; the
// destructor never throws. Creation can fail where the kernel or a seccomp filter forbids
// io_uring (ENOSYS, EPERM), so create() reports the errno instead of throwing: UringFile then
// falls back to pread/pwrite.
#pragma once

#include <liburing.h>

#include <memory>

namespace strata {

class UringRing {
 public:
  // nullptr and *error = positive errno when the ring cannot be set up.
  static std::unique_ptr<UringRing> create(unsigned entries, int* error);

  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  io_uring* get() { return &ring_; }
  unsigned entries() const { return entries_; }

 private:
  UringRing() = default;
  io_uring ring_{};
  unsigned entries_ = 0;
};

}  // namespace strata
