// What every op test includes: the backend list, device data, and for_each_backend.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine/test_support.h"
#include "ops/device_data.h"
#include "ops/op_backends.h"

namespace strata::ops_test {

// Runs `test` once per backend of a fresh list, naming the backend in every failure message,
// then checks that the backend saw no contract violation.
template <typename Test>
void for_each_backend(Test&& test) {
  for (OpBackend& be : make_op_backends()) {
    INFO("backend: " << be.name);
    test(be);
    if (be.problems) {
      const std::vector<std::string> problems = be.problems();
      for (const std::string& p : problems) UNSCOPED_INFO(p);
      CHECK(problems.empty());
    }
  }
}

// The first i < n where ok(i) fails, or n: per-element checks over a million elements, where a
// Catch assertion per element would cost far more than the op. Use as
//   const size_t bad = first_failure(n, ok); then CAPTURE what is at `bad`, CHECK(bad == n).
template <typename Ok>
size_t first_failure(size_t n, Ok&& ok) {
  for (size_t i = 0; i < n; ++i)
    if (!ok(i)) return i;
  return n;
}

}  // namespace strata::ops_test
