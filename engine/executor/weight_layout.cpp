#include "engine/executor/weight_layout.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/io/store_writer.h"
#include "offload/aligned_buffer.h"

namespace strata {
namespace {

// 64-byte alignment inside an arena keeps rows SIMD-friendly, as OptWeights does.
size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The stored tensor names each stage reads, from the store layout (globals, then layers).
std::vector<std::vector<std::string>> stage_names(const OptConfig& c) {
  const std::vector<StoreFileLayout> files = opt_store_layout(c);
  std::vector<std::vector<std::string>> stages(size_t(c.num_layers + 2));
  for (const auto& [name, shape] : files.front().tensors) {
    const bool embed = name == "decoder.embed_tokens.weight" ||
                       name == "decoder.embed_positions.weight" ||
                       name == "decoder.project_in.weight";
    stages[embed ? 0 : size_t(c.num_layers + 1)].push_back(name);
  }
  if (c.tied_head) stages.back().push_back("decoder.embed_tokens.weight");
  for (int64_t j = 0; j < c.num_layers; ++j) {
    for (const auto& [name, shape] : files[size_t(j + 1)].tensors) stages[size_t(j + 1)].push_back(name);
  }
  return stages;
}

}  // namespace

RowSplit split_rows(int64_t rows, const TierShares& s) {
  // Rounded cumulative boundaries, so the three counts always add up to `rows`.
  const int64_t disk = std::llround(double(rows) * s.disk);
  const int64_t disk_host = std::min<int64_t>(rows, std::llround(double(rows) * (s.disk + s.host)));
  return {disk, std::max<int64_t>(0, disk_host - disk), rows - std::max(disk, disk_host)};
}

WeightLayout layout_weights(const OptConfig& c, const DTypeOf& dtype_of,
                            const TierShares& shares) {
  WeightLayout out;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const StoreFileLayout& f : opt_store_layout(c)) {
    for (const auto& [name, shape] : f.tensors) shapes[name] = shape;
  }
  std::map<std::string, size_t> index;
  for (const std::vector<std::string>& names : stage_names(c)) {
    StageLayout stage;
    bool resident = true;
    for (const std::string& name : names) {
      auto [it, fresh] = index.emplace(name, out.tensors.size());
      if (fresh) {
        WeightTensorLayout t;
        t.name = name;
        t.format = dtype_of(name);
        t.shape = shapes.at(name);
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
