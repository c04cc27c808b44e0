#include "engine/models/tensor_table.h"

#include <cstdio>

namespace strata {

const TensorSpec* TensorTable::find(const std::string& name) const {
  for (const TensorSpec& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string store_layer_file(int64_t layer) {
  char name[32];
  std::snprintf(name, sizeof(name), "layer_%03lld.bin", static_cast<long long>(layer));
  return name;
}

std::string store_file_of(const TensorTable& table, int64_t stage) {
  return table.is_layer_stage(stage) ? store_layer_file(stage - 1) : kStoreGlobalsFile;
}

}  // namespace strata
