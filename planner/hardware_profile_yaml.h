// HardwareProfile <-> YAML: the file `strata profile` caches and `strata plan --profile` reads.
// One key per field, named as in HardwareProfile without the `_bytes` suffix for capacities:
//
//   name: t4-flexgen
//   probe_version: 4                       # optional: which probes measured it (kProbeVersion)
//   host_to_device_bytes_per_s: 13840573153
//   ...                                    # every rate in bytes/s or FLOP/s
//   activation_bytes_per_element: 2
//   gemm_weight_pass: overlapped           # or serial (the CPU backend); optional
//   io_compute_share: 0                    # optional
//   copy_compute_share: 0.9                # optional (0: copies do not slow compute)
//   device_elementwise_bytes_per_s: 8e9    # optional (0: not charged), as device_op_seconds
//   device_gemm_small_prefill_flops: 9e10  # optional (0: the prefill rate for every size)
//   device_capacity: 15 GiB                # capacities: bytes, or a number with a unit
//
// Every field except `name`, `probe_version` (default 0: unknown), `gemm_weight_pass` (default
// overlapped), `io_compute_share`, `copy_compute_share`, `device_gemm_small_prefill_flops`,
// `device_elementwise_bytes_per_s` and `device_op_seconds` (default 0) is required; errors name the file, the line and the field; unknown
// keys are rejected by name. set_hardware_field() applies one `key=value` override (CLI flags).
#pragma once

#include <string>
#include <vector>

#include "planner/hardware_profile.h"

namespace strata {

HardwareProfile read_hardware_profile_yaml(const std::string& path);
HardwareProfile parse_hardware_profile_yaml(const std::string& text,
                                            const std::string& source = "<profile>");
std::string hardware_profile_to_yaml(const HardwareProfile& profile);
void write_hardware_profile_yaml(const HardwareProfile& profile, const std::string& path);

// Sets one field by its YAML key from text ("12.5e9", "8 GiB"); InputError names unknown keys
// and bad values. Does not validate the whole profile.
void set_hardware_field(HardwareProfile& profile, const std::string& key, const std::string& value);
std::vector<std::string> hardware_field_names();

}  // namespace strata
