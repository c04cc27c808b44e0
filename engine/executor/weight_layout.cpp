#include "engine/executor/weight_layout.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "offload/aligned_buffer.h"

namespace strata {
namespace {

// 64-byte alignment inside an arena keeps rows SIMD-friendly, as InMemoryModel does.
size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// What each stage reads, as (table index, role): its own tensors in table order, then those it
// shares with another stage (a tied head's token embedding).
std::vector<std::vector<std::pair<size_t, int>>> stage_tensors(const TensorTable& table) {
  std::vector<std::vector<std::pair<size_t, int>>> stages(size_t(table.stage_count()));
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    stages[size_t(table.tensors[i].stage)].emplace_back(i, table.tensors[i].role);
  }
  for (const SharedUse& u : table.shared) stages[size_t(u.stage)].emplace_back(u.tensor, u.role);
  return stages;
}

}  // namespace

RowSplit split_rows(int64_t rows, const Placement& s) {
  // Rounded cumulative boundaries, so the three counts always add up to `rows`.
  const int64_t disk = std::llround(double(rows) * s.disk);
  const int64_t disk_host = std::min<int64_t>(rows, std::llround(double(rows) * (s.disk + s.host)));
  return {disk, std::max<int64_t>(0, disk_host - disk), rows - std::max(disk, disk_host)};
}

WeightLayout layout_weights(const TensorTable& table, const DTypeOf& dtype_of,
                            const Placement& shares) {
  WeightLayout out;
  std::map<size_t, size_t> index;  // table tensor -> out.tensors
  for (const auto& uses : stage_tensors(table)) {
    StageLayout stage;
    bool resident = true;
    for (const auto& [i, role] : uses) {
      auto [it, fresh] = index.emplace(i, out.tensors.size());
      if (fresh) {
        const TensorSpec& spec = table.tensors[i];
        WeightTensorLayout t;
        t.name = spec.name;
        t.table_index = i;
        t.format = dtype_of(spec.name);
        t.shape = spec.shape;
        t.row_bytes = format_row_bytes(t.format, t.shape.size() == 2 ? t.shape[1] : 1);
        t.split = split_rows(t.rows(), shares);
        t.device_offset = out.device_home_bytes;
        t.host_offset = out.host_home_bytes;
        out.device_home_bytes += align64(size_t(t.split.device) * t.row_bytes);
        out.host_home_bytes += align64(size_t(t.split.host) * t.row_bytes);
        out.disk_bytes += uint64_t(t.split.disk) * t.row_bytes;
        out.tensors.push_back(std::move(t));
      }
      const WeightTensorLayout& t = out.tensors[it->second];
      stage.roles.push_back(role);
      resident = resident && t.split.device == t.rows();
      stage.tensors.push_back(it->second);
      stage.work_offsets.push_back(stage.work_bytes);
      stage.work_bytes += align64(t.bytes());
      stage.staging_offsets.push_back(stage.staging_bytes);
      // Each tensor's disk rows start a 4096-aligned slot: one zero-copy O_DIRECT read.
      stage.staging_bytes += AlignedBuffer::round_up(size_t(t.split.disk) * t.row_bytes);
    }
    stage.device_resident = resident;
    if (!resident) out.work_bytes = std::max(out.work_bytes, stage.work_bytes);
    out.staging_bytes = std::max(out.staging_bytes, stage.staging_bytes);
    out.stages.push_back(std::move(stage));
  }
  return out;
}

}  // namespace strata
