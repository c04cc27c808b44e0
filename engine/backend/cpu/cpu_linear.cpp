// CPU linear: y = x · wᵀ + b. fp32 products go to sgemm_nt (oneDNN, quant/sgemm_cpu.h); f16/bf16
// weights are widened inside the multiply for up to 64 rows (quant/half_gemm.h) and a tile of
// rows at a time for sgemm_nt otherwise; q4/q8 go to quant's fused dequant-GEMM.
#include <algorithm>

#include "engine/backend/cpu/cpu_backend.h"
#include "quant/gemm_cpu.h"
#include "quant/half_gemm.h"
#include "quant/sgemm_cpu.h"

namespace strata {
namespace {

// Widened weight tile budget for products of more than kHalfDirectMaxM rows: every tile's GEMM
// call packs all of x again (25 MB per call for 8192 rows of 768), so a tile is 4 Mi floats
// (16 MiB): a whole opt-125m/350m matrix, or a few tiles of a larger one, per call.
constexpr int64_t kTileFloats = 4 * 1024 * 1024;

}  // namespace

CpuBackend::CpuBackend(const CpuBackendOptions& options)
    : isa_(options.isa), threads_(options.threads) {
  quant::check_cpu_isa(isa_);
  STRATA_CHECK(threads_ >= 1, "CPU backend with ", threads_, " threads");
  pool_ = std::make_unique<quant::ComputePool>(threads_);
}

void CpuBackend::do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  const int64_t m = x.dim(0), k = x.dim(1), n = w.dim(0);
  if (m == 0 || n == 0) return;
  const quant::CpuCompute cpu{isa_, threads_, pool_.get()};
  if (is_quantized(w.dtype())) {
    const quant::QuantMatrix packed{
        {w.dtype() == DType::q4 ? quant::QuantBits::k4 : quant::QuantBits::k8, w.group_size(),
         quant::GroupAxis::kCols},
        w.data<uint8_t>(),
        n,
        k};
    // The bias is added below like the other paths (it may be f16/bf16).
    quant::quant_gemm_cpu(x.data<float>(), m, packed, nullptr, y.data<float>(), cpu);
  } else if (w.dtype() == DType::f32) {
    quant::sgemm_nt(x.data<float>(), w.data<float>(), y.data<float>(), {m, n, k, n}, threads_);
  } else {
    const quant::HalfMatrix half{
        w.dtype() == DType::f16 ? quant::HalfType::kF16 : quant::HalfType::kBf16,
        w.data<uint16_t>(), n, k};
    if (m <= quant::kHalfDirectMaxM) {
      quant::half_gemm_cpu(x.data<float>(), m, half, y.data<float>(), n, cpu);
    } else {
      const int64_t tile_rows = std::clamp<int64_t>(kTileFloats / std::max<int64_t>(k, 1), 1, n);
      // Grown, never shrunk: resizing up within the capacity zero-fills the new elements
      // (7 MiB of memset per OPT-125m fc1, 3% of a small prefill's time).
      if (weight_tile_.size() < size_t(tile_rows * k)) weight_tile_.resize(size_t(tile_rows * k));
      for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
        const int64_t rows = std::min(tile_rows, n - r0);
        quant::widen_half_rows(half, r0, r0 + rows, weight_tile_.data(), cpu);
        // y[:, r0:r0+rows] = x · tileᵀ, written in place with ldy = n.
        quant::sgemm_nt(x.data<float>(), weight_tile_.data(), y.data<float>() + r0, {m, rows, k, n},
                        threads_);
      }
    }
  }
  if (!bias.empty()) {
    // Decoded once, then added row by row: y is row-major, so the inner loop walks contiguous
    // memory (a column-first loop strode n floats per add and cost ~8% of a prefill).
    const float* b = widened_param(bias, n, bias_f32_, 0.0f);
    float* out = y.data<float>();
    for_rows(m, n, [&](int64_t i) {
      float* row = out + i * n;
      for (int64_t j = 0; j < n; ++j) row[j] += b[j];
    });
  }
}

}  // namespace strata
