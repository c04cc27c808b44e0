// Policy <-> YAML. The form `strata plan` writes and `strata run --policy` reads:
//
//   gpu_batch_size: 48
//   num_gpu_batches: 3
//   weights: {device: 0.2, host: 0.8, disk: 0}
//   cache: {device: 0, host: 1, disk: 0}
//   activations: {device: 0, host: 1, disk: 0}
//   cpu_attention: true          # optional, default false
//   compress_weight: none        # optional: none | q4 | q8
//   compress_cache: none         # optional
//   overlap: true                # optional, default true
//
// Instead of the three placements, `percent: [20, 80, 0, 100, 0, 100]` gives FlexGen's six
// percentages (disk = the rest). A tier left out of a placement is 0. Errors name the file, the
// line and the field; unknown fields are rejected by name. The uncompressed KV cache's element
// type (Policy::cache_dtype) is not part of the file: the run picks it per model (--cache-dtype).
#pragma once

#include <string>

#include "common/policy.h"

namespace strata {

Policy read_policy_yaml(const std::string& path);
Policy parse_policy_yaml(const std::string& text, const std::string& source = "<policy>");
std::string policy_to_yaml(const Policy& policy);
void write_policy_yaml(const Policy& policy, const std::string& path);

}  // namespace strata
