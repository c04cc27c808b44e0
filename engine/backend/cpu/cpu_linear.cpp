// CPU linear: y = x · wᵀ + b through OpenBLAS sgemm, or quant's fused dequant-GEMM for q4/q8.
#include <cblas.h>

#include <algorithm>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/convert.h"
#include "quant/gemm_cpu.h"

namespace strata {
namespace {

// Decoded weight tile budget. With few rows, 256 Ki floats (1 MiB) stays in L2/L3 while sgemm
// reuses it. With many rows, every tile's sgemm call packs all of x again (25 MB per call for
// 8192 rows of 768), so the tile grows to 4 Mi floats (16 MiB): a whole opt-125m/350m matrix,
// or a few tiles of a larger one, per call.
constexpr int64_t kTileFloatsFewRows = 256 * 1024;
constexpr int64_t kTileFloatsManyRows = 4 * 1024 * 1024;
constexpr int64_t kManyRows = 64;

}  // namespace

void CpuBackend::do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  if (m == 0 || n == 0) return;
  if (is_quantized(w.dtype())) {
    const quant::QuantMatrix packed{
        {w.dtype() == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8, w.group_size(),
         quant::GroupAxis::kCols},
        w.data<uint8_t>(), n, k};
    // The bias is added below like the other paths (it may be f16/bf16).
    quant::quant_gemm_cpu(x.data<float>(), m, packed, nullptr, y.data<float>(), isa_);
  } else if (w.dtype() == DType::f32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f,
                x.data<float>(), int(k), w.data<float>(), int(k), 0.0f, y.data<float>(), int(n));
  } else {
    const int64_t budget = m > kManyRows ? kTileFloatsManyRows : kTileFloatsFewRows;
    const int64_t tile_rows = std::clamp<int64_t>(budget / std::max<int64_t>(k, 1), 1, n);
    weight_tile_.resize(size_t(tile_rows * k));
    const size_t row_bytes = size_t(k) * dtype_size(w.dtype());
    for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
      const int64_t rows = std::min(tile_rows, n - r0);
      convert_to_f32(w.data<char>() + size_t(r0) * row_bytes, w.dtype(), rows * k,
                     weight_tile_.data());
      // y[:, r0:r0+rows] = x · tileᵀ, written in place with ldc = n.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(rows), int(k), 1.0f,
                  x.data<float>(), int(k), weight_tile_.data(), int(k), 0.0f,
                  y.data<float>() + r0, int(n));
    }
  }
  if (!bias.empty()) {
    // Decoded once, then added row by row: y is row-major, so the inner loop walks contiguous
    // memory (a column-first loop strode n floats per add and cost ~8% of a prefill).
    bias_f32_.resize(size_t(n));
    for (int64_t j = 0; j < n; ++j) bias_f32_[size_t(j)] = element_f32(bias.data(), bias.dtype(), j);
    float* out = y.data<float>();
    for (int64_t i = 0; i < m; ++i) {
      float* row = out + i * n;
      for (int64_t j = 0; j < n; ++j) row[j] += bias_f32_[size_t(j)];
    }
  }
}

}  // namespace strata
