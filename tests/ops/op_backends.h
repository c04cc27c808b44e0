// The backends the op harness runs every op on (STYLE.md 8; ggml's test-backend-ops): each test
// case builds the list with make_op_backends(), runs its op on every entry against a float64
// reference written in tests/ops/reference/, and checks with the tolerance of the entry's
// arithmetic.
//
// Which backends a list holds is decided at link time, by the one file that defines
// add_present_backends():
//   strata_ops_tests (label unit)      cpu_op_backends.cpp: the CPU backend, and the CPU ops behind
//                                      a separate device memory
//                                      (tests/engine/separate_device_memory.h: every tensor must
//                                      sit in device blocks, every byte crosses through the copy
//                                      queues as on a GPU, so the harness's own device plumbing is
//                                      tested without a GPU)
//   strata_test_ops_cuda (label gpu)   cuda/cuda_op_backends.cpp: the CUDA backend (made by
//                                      make_backend), and one with tiny weight tiles that takes
//                                      the dequantized-tile q4/q8 path for every M. Without a GPU
//                                      the executable checks that make_backend(cuda) refuses with
//                                      an InputError and exits 77: ctest reports it skipped.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/attention_partial.h"
#include "engine/backend/backend.h"

namespace strata::ops_test {

// Whose arithmetic a backend follows, which decides the reference's inputs and the tolerance
// (engine/backend/cuda/cuda_backend.h "Numerics").
enum class Arithmetic {
  cpu,   // fp32 over widened weights (oneDNN sgemm or the half/quant kernels; fp32 reductions)
  cuda,  // cuBLAS with x rounded to the weight's 16-bit type; block reductions; tiled attention
};

using PartialAttentionFn = std::function<void(const AttentionPartialArgs&)>;
using MergeFn =
    std::function<void(const AttentionPartial&, const AttentionPartial&, int64_t num_heads)>;

struct OpBackend {
  std::string name;
  std::unique_ptr<Backend> backend;
  Arithmetic arithmetic = Arithmetic::cpu;
  // q4/q8 linear: M <= this goes to the fused dequant-GEMM over fp32 x; larger M to f16 tiles
  // with x rounded to f16 (CUDA). The CPU computes every M over fp32 x: no limit.
  int64_t fused_quant_max_m = INT64_MAX;
  int64_t max_head_dim = 0;         // attention's largest head_dim; 0: no limit
  // Partial attention over device tensors and the merge of two device results
  // (attention_partial.h); empty where the backend offers none.
  PartialAttentionFn attention_partial;
  MergeFn merge;
  // Contract violations the backend saw (a host tensor handed to a device op, ...); empty: none.
  std::function<std::vector<std::string>()> problems;

  Backend& operator*() const { return *backend; }
  Backend* operator->() const { return backend.get(); }
};

// Appends the backends this executable tests (one definition per executable, see above).
void add_present_backends(std::vector<OpBackend>& list);

// A fresh list (fresh device memory per test case).
std::vector<OpBackend> make_op_backends();

}  // namespace strata::ops_test
