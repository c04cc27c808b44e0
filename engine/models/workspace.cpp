#include "engine/models/workspace.h"

#include "common/error.h"

namespace strata {

Workspace::Workspace(void* block, size_t bytes, int64_t max_rows,
                     const std::vector<int64_t>& role_cols)
    : slots_(role_cols.size()) {
  STRATA_CHECK(bytes >= block_floats(max_rows, role_cols) * sizeof(float), "workspace block of ",
               bytes, " bytes for ", max_rows, " rows");
  float* at = static_cast<float*>(block);
  for (size_t r = 0; r < role_cols.size(); ++r) {
    slots_[r].fixed = at;
    slots_[r].fixed_floats = size_t(max_rows * role_cols[r]);
    at += slots_[r].fixed_floats;
  }
}

size_t Workspace::block_floats(int64_t max_rows, const std::vector<int64_t>& role_cols) {
  size_t n = 0;
  for (int64_t cols : role_cols) n += size_t(max_rows * cols);
  return n;
}

Tensor Workspace::matrix(int role, int64_t rows, int64_t cols) {
  const size_t n = size_t(rows * cols);
  if (size_t(role) >= slots_.size()) slots_.resize(size_t(role) + 1);  // host-backed: grows
  Slot& s = slots_[size_t(role)];
  if (s.fixed != nullptr) {
    STRATA_CHECK(n <= s.fixed_floats, "workspace role ", role, ": ", rows, " x ", cols,
                 " passes its ", s.fixed_floats, " floats");
    return Tensor(s.fixed, DType::f32, {rows, cols}, Place::device);
  }
  s.host.resize(n);
  return Tensor(s.host.data(), DType::f32, {rows, cols});
}

}  // namespace strata
