#include "offload/uring_ring.h"

namespace strata {

std::unique_ptr<UringRing> UringRing::create(unsigned entries, int* error) {
  std::unique_ptr<UringRing> ring(new UringRing());
  const int rc = io_uring_queue_init(entries, &ring->ring_, 0);
  if (rc < 0) {
    *error = -rc;
    return nullptr;
  }
  ring->entries_ = ring->ring_.sq.ring_entries;
  *error = 0;
  return ring;
}

UringRing::~UringRing() { io_uring_queue_exit(&ring_); }

}  // namespace strata
