// CostModel: predicted time of one block (num_gpu_batches micro-batches of gpu_batch_size
// sequences) under a Policy, following the executor's schedule (DESIGN.md "Executor",
// FlexGen Alg. 1). Derivations of every term: docs/planner.md.
//
// A run is a list of stages: the prefill layer (x num_layers), the LM head (x gen_len), the
// decode layer at up to kMaxDecodeSegments context lengths (x num_layers x steps), and the
// embedding (x gen_len). In one stage
// each of five resources (disk read, host->device, device->host, disk write, compute) is busy
// for a time linear in the nine placement fractions; with overlap the stage takes the max of
// them (one queue per resource), without it their sum.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "planner/block_sizes.h"
#include "planner/linear_expr.h"
#include "planner/plan_inputs.h"
#include "common/policy.h"

namespace strata {

enum class Resource { kDiskRead, kHostToDevice, kDeviceToHost, kDiskWrite, kCompute };
constexpr int kNumResources = 5;
const char* to_string(Resource resource);

enum class Phase { kPrefill, kDecode };
enum class StageKind { kLayer, kHead, kEmbed };

// Decode steps are grouped into at most this many segments, each priced at its mean context
// length (exact when gen_len - 1 <= kMaxDecodeSegments).
constexpr int kMaxDecodeSegments = 8;

struct Stage {
  std::string name;
  Phase phase = Phase::kPrefill;
  StageKind kind = StageKind::kLayer;
  double count = 0;  // instances per block
  std::array<LinearExpr, kNumResources> busy;  // seconds each resource works in one instance
};

struct Prediction {
  double prefill_seconds = 0;  // one block
  double decode_seconds = 0;
  double total_seconds = 0;
  double prefill_layer_seconds = 0;  // one layer of prefill
  double decode_layer_seconds = 0;   // one layer of one decode step, mean over the steps
  double prefill_tokens_per_s = 0;   // N * prompt_len / prefill time (FlexGen's definition)
  double decode_tokens_per_s = 0;    // N * (gen_len - 1) / decode time; 0 when gen_len = 1
  double total_tokens_per_s = 0;     // N * gen_len / (prefill + decode)
  double seconds_per_token = 0;      // total_seconds / (N * gen_len): the LP's objective
  std::array<double, kNumResources> busy_seconds{};  // per resource over the whole block
  Resource prefill_bottleneck = Resource::kCompute;
  Resource decode_bottleneck = Resource::kCompute;
};

class CostModel {
 public:
  // Takes batch shape, attention place, compression and overlap from `config`; its fractions
  // are not used until predict().
  CostModel(const PlanInputs& inputs, const Policy& config);

  const std::vector<Stage>& stages() const { return stages_; }
  const BlockSizes& sizes() const { return sizes_; }
  Overlap overlap() const { return overlap_; }
  // Generated tokens per block: N * gen_len.
  double tokens_per_block() const { return sizes_.block * sizes_.gen; }

  double stage_seconds(const Stage& stage, const Policy& fractions) const;
  Prediction predict(const Policy& fractions) const;

 private:
  BlockSizes sizes_;
  Overlap overlap_;
  std::vector<Stage> stages_;
};

// Validates inputs and policy, then predicts with the policy's own fractions.
Prediction predict(const PlanInputs& inputs, const Policy& policy);

}  // namespace strata
