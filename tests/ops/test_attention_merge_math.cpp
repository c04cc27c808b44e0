// The merge of two partial softmax results for one head (attention_merge.h merge_partial_head,
// the function both the host merge and CUDA's merge kernel run) at its edges, with values worked
// out by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/backend/attention_merge.h"

namespace strata {

TEST_CASE("merging parts whose maxima differ widely neither overflows nor loses the larger",
          "[ops]") {
  // One head, d = 2. Part a: max 0, sum 1, out (1, 2). Part b: max 200, sum 3, out (-4, 8).
  // exp(-200) underflows in fp32: the merge is b's result exactly; either order.
  float out_a[2] = {1.0f, 2.0f}, max_a = 0.0f, sum_a = 1.0f;
  const float out_b[2] = {-4.0f, 8.0f};
  merge_partial_head(out_a, max_a, sum_a, out_b, 200.0f, 3.0f, 2);
  CHECK(out_a[0] == -4.0f);
  CHECK(out_a[1] == 8.0f);
  CHECK(max_a == 200.0f);
  CHECK(sum_a == 3.0f);

  float out_c[2] = {-4.0f, 8.0f}, max_c = 200.0f, sum_c = 3.0f;
  const float out_d[2] = {1.0f, 2.0f};
  merge_partial_head(out_c, max_c, sum_c, out_d, 0.0f, 1.0f, 2);
  CHECK(out_c[0] == -4.0f);
  CHECK(out_c[1] == 8.0f);
  CHECK(max_c == 200.0f);
  CHECK(sum_c == 3.0f);

  // Equal maxima: weights are the sums. (1*(1,2) + 3*(-4,8)) / 4 = (-2.75, 6.5).
  float out_e[2] = {1.0f, 2.0f}, max_e = 5.0f, sum_e = 1.0f;
  merge_partial_head(out_e, max_e, sum_e, out_b, 5.0f, 3.0f, 2);
  CHECK(out_e[0] == -2.75f);
  CHECK(out_e[1] == 6.5f);
  CHECK(sum_e == 4.0f);

  // An empty part (sum 0, max -inf, out 0) changes nothing, on either side.
  float out_f[2] = {0.0f, 0.0f}, max_f = -INFINITY, sum_f = 0.0f;
  merge_partial_head(out_f, max_f, sum_f, out_b, 7.0f, 2.0f, 2);
  CHECK(out_f[0] == -4.0f);
  CHECK(max_f == 7.0f);
  CHECK(sum_f == 2.0f);
  const float zeros[2] = {0.0f, 0.0f};
  merge_partial_head(out_f, max_f, sum_f, zeros, -INFINITY, 0.0f, 2);
  CHECK(out_f[1] == 8.0f);
  CHECK(sum_f == 2.0f);
}

}  // namespace strata
