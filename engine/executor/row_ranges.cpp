#include "engine/executor/row_ranges.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"

namespace strata {

std::vector<RowRange> row_ranges(std::vector<int64_t> rows, uint64_t row_bytes,
                                 uint64_t gap_bytes) {
  std::sort(rows.begin(), rows.end());
  const int64_t gap_rows = int64_t(std::min<uint64_t>(gap_bytes / std::max<uint64_t>(row_bytes, 1),
                                                      uint64_t(INT64_MAX)));
  std::vector<RowRange> out;
  for (int64_t r : rows) {
    if (!out.empty() && r < out.back().end) continue;  // a repeat
    if (!out.empty() && r - out.back().end <= gap_rows) {
      out.back().end = r + 1;
    } else {
      out.push_back({r, r + 1});
    }
  }
  return out;
}

StageRanges stage_ranges(const WeightLayout& layout, int64_t stage,
                         const std::vector<TableRows>& wanted, uint64_t gap_bytes) {
  const StageLayout& s = layout.stages[size_t(stage)];
  StageRanges out(s.tensors.size());
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout.tensors[s.tensors[i]];
    std::vector<int64_t> rows;
    bool listed = false;
    for (const TableRows& w : wanted) {
      if (w.role != s.roles[i]) continue;
      listed = true;
      rows.insert(rows.end(), w.rows.begin(), w.rows.end());
    }
    if (!listed) {
      out[i] = {{0, t.rows()}};
      continue;
    }
    for (int64_t r : rows) {
      STRATA_CHECK(r >= 0 && r < t.rows(), "row ", r, " of ", t.name, " outside its ", t.rows(),
                   " rows");
    }
    out[i] = row_ranges(std::move(rows), t.row_bytes, gap_bytes);
  }
  return out;
}

}  // namespace strata
