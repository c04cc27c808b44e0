// PlannedModel: what the planner is told of a model — its geometry, its exact byte counts from
// the family's tensor table and the engine's formats, and the executor's own memory accounting
// for any batch shape (engine/executor/block_plan.h, weight_layout.h) as linear forms — so a
// plan always passes the capacity check it will meet, and `strata plan`, --policy auto and
// bench all count the same bytes (the CPU and CUDA executors keep an fp32 KV cache, or q4/q8).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/policy.h"
#include "engine/executor/weight_layout.h"
#include "engine/models/model_family.h"
#include "planner/plan_inputs.h"

namespace strata {

class ModelSource;

struct PlannedModel {
  std::string name;
  std::shared_ptr<const ModelSpec> model;
  // The format of each tensor once stored with a weight compression.
  std::function<DTypeOf(Compression compress_weight)> formats;
  StorageFormat dense_format = StorageFormat::kF16;
};

PlannedModel planned_model(const ModelSource& source);
// A preset geometry (`--dummy opt-30b`), its weights in torch_dtype (f16 when absent).
PlannedModel planned_preset(const std::string& name);

// The planner's inputs: geometry, model_bytes and executor_memory from the model; the
// hardware and workload as given. InputError naming the field when they do not make sense.
PlanInputs planner_inputs(const PlannedModel& model, const HardwareProfile& hardware,
                          const Workload& workload);

}  // namespace strata
