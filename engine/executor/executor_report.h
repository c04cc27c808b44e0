// ExecutorReport: what the offloading executor measured — seconds per resource and bytes moved
// per path — and the bytes it placed on each tier. Summed over every step of every block.
#pragma once

#include <cstdint>
#include <string>

#include "engine/executor/tier_memory.h"

namespace strata {

struct ResourceTimes {
  double disk_read = 0;   // busy seconds of the disk-read worker (weights and KV cache)
  double disk_write = 0;  // busy seconds of the disk-write worker (KV cache)
  double copy_h2d = 0;    // busy seconds of the host→device copy worker
  double copy_d2h = 0;    // busy seconds of the device→host copy worker
  double compute = 0;     // seconds the compute thread computed
  double wait = 0;        // seconds the compute thread waited for transfers
  ResourceTimes& operator+=(const ResourceTimes& o);
};

struct TransferBytes {
  uint64_t disk_read = 0, disk_write = 0, h2d = 0, d2h = 0;
  TransferBytes& operator+=(const TransferBytes& o);
};

struct ExecutorReport {
  ResourceTimes times;
  TransferBytes bytes;
  TransferBytes kv_bytes;  // the KV cache's part of `bytes` (packed bytes when compressed)
  TierBytes placed;  // realised bytes per tier and use (the largest block's)
  // One line: "executor: disk read 1.20 s (512.0 MiB), ...; of which KV cache: disk read
  // 12.0 MiB, ...; placed device 1.0 GiB ...".
  std::string summary() const;
};

}  // namespace strata
