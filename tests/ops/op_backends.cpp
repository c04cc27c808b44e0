#include "ops/op_backends.h"

namespace strata::ops_test {

std::vector<OpBackend> make_op_backends() {
  std::vector<OpBackend> list;
  add_present_backends(list);
  return list;
}

}  // namespace strata::ops_test
