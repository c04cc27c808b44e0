// Measures a HardwareProfile through the code paths the executor runs: io_uring O_DIRECT reads and
// writes of a file in the offload directory, the backend's own linear and attention ops, and the
// host<->device copies (memcpy between buffers on the CPU backend, whose "device" is a RAM arena).
// Each figure is the best of a few timed repetitions after a warm-up, so that one slow outlier
// (another process, a page fault storm) does not become the plan's bottleneck.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "engine/backend/backend.h"
#include "planner/hardware_profile.h"

namespace strata::cli {

struct ProbeOptions {
  std::filesystem::path offload_dir;  // where the disk test file goes (removed afterwards)
  size_t disk_bytes = size_t(256) << 20;
  double device_capacity_bytes = 0;   // 0: a quarter of physical RAM on the CPU backend
  std::function<void(const std::string&)> say;  // one line per measurement (progress)
};

HardwareProfile probe_hardware(Backend& backend, const ProbeOptions& options);

}  // namespace strata::cli
