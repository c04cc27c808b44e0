// WeightLayout: where every row of every weight lives and where it goes when a stage runs. The
// model runs as stages: 0 = embedding, 1..L = decoder layers, L+1 = head (FlexGen's InputEmbed,
// TransformerLayer, OutputEmbed). Each tensor is split by row ranges within the tensor —
// [disk rows | host rows | device rows] — so the realised fractions match the policy to within
// one row per tensor (1-D tensors split by element). A stage that is entirely device-resident is
// computed in place; any other stage is assembled, every row in order, in a device working arena
// (two of them, so stage s+1 loads while stage s computes). Pure arithmetic: the memory plan
// checked before any work and the executor that allocates use the same layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/executor/executor_options.h"
#include "engine/models/tensor_table.h"

namespace strata {

// Rows of one tensor on each tier, in file order [disk | host | device]: disk rows come first
// so their read starts at the tensor's 4096-aligned offset in the store.
struct RowSplit {
  int64_t disk = 0, host = 0, device = 0;
};
RowSplit split_rows(int64_t rows, const Placement& shares);

struct WeightTensorLayout {
  std::string name;             // canonical name ("decoder.layers.3.fc1.weight")
  size_t table_index = 0;       // its TensorTable entry
  TensorFormat format;          // its stored format (q4/q8: packed rows, see engine/core/dtype.h)
  std::vector<int64_t> shape;   // [rows, cols] or [rows]
  size_t row_bytes = 0;         // a packed row's bytes for q4/q8: row splits stay byte ranges
  RowSplit split;
  size_t device_offset = 0;     // its device rows in the device home arena
  size_t host_offset = 0;       // its host rows in the host home arena
  int64_t rows() const { return shape[0]; }
  size_t bytes() const { return size_t(rows()) * row_bytes; }
};

struct StageLayout {
  std::vector<size_t> tensors;          // indexes into WeightLayout::tensors
  std::vector<int> roles;               // what the stage reads each as (tensor_table.h)
  std::vector<size_t> work_offsets;     // each tensor's place in a device working arena
  std::vector<size_t> staging_offsets;  // its disk rows' place in a host staging buffer
  size_t work_bytes = 0;
  size_t staging_bytes = 0;             // 0: nothing of this stage is on disk
  bool device_resident = false;         // every row homed on the device: nothing moves
};

struct WeightLayout {
  std::vector<WeightTensorLayout> tensors;  // each stored tensor once (a tied head shares)
  std::vector<StageLayout> stages;
  size_t device_home_bytes = 0;
  size_t host_home_bytes = 0;
  uint64_t disk_bytes = 0;     // rows read from the store when their stage runs
  size_t work_bytes = 0;       // one device working arena (the largest streamed stage)
  size_t staging_bytes = 0;    // one host staging buffer for disk rows (the largest)
};

// The stored format of each tensor (a plain DType converts implicitly).
using DTypeOf = std::function<TensorFormat(const std::string& tensor_name)>;

WeightLayout layout_weights(const TensorTable& table, const DTypeOf& dtype_of,
                            const Placement& shares);

}  // namespace strata
