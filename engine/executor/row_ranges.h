// RowRanges: which rows of each of a stage's tensors a load moves. Every stage moves whole
// tensors except the embedding stage, whose lookup tables (the token table, OPT's position
// table) move only the rows the step's tokens read (ModelForward::lookup_rows): a decode step of
// Llama 3 reads a few KiB of its 1 GiB token table instead of all of it. Pure arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/executor/weight_layout.h"
#include "engine/models/model_forward.h"

namespace strata {

struct RowRange {
  int64_t begin = 0, end = 0;  // rows [begin, end)
};
// One list of ascending, disjoint ranges per tensor of a stage, in StageLayout order.
using StageRanges = std::vector<std::vector<RowRange>>;

// `rows` (any order, repeats allowed) as ascending ranges, merging two whose gap is at most
// gap_bytes of rows.
std::vector<RowRange> row_ranges(std::vector<int64_t> rows, uint64_t row_bytes,
                                 uint64_t gap_bytes = kRowGapBytes);

// The ranges of every tensor of `stage`: a tensor whose role `wanted` names, the rows listed
// (Error when one is outside the tensor) merged across gaps of at most gap_bytes; any other
// tensor, whole.
StageRanges stage_ranges(const WeightLayout& layout, int64_t stage,
                         const std::vector<TableRows>& wanted, uint64_t gap_bytes = kRowGapBytes);

}  // namespace strata
