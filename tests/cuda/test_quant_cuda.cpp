// The CUDA quant kernels against the scalar reference on fresh random inputs. A standalone
// program (no Catch2, so the CPU test executables stay free of CUDA): exit 0 = pass, 1 = fail,
// 77 = no GPU (ctest SKIP_RETURN_CODE).
//   quantize / quantize_f16   packed bytes identical to quantize_ref
//   dequantize                fp32 bit-identical to dequantize_ref; f16 = RNE of that value
//   gemm_decode               within (k + 2) u sum|x w| of float64 over the reference weight
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "quant/cuda/quant_cuda.h"
#include "quant/fp16.h"
#include "quant/reference.h"

using namespace strata::quant;

namespace {

int g_failures = 0;

#define EXPECT(cond, ...)                                         \
  do {                                                            \
    if (!(cond)) {                                                \
      ++g_failures;                                               \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::printf(__VA_ARGS__);                                   \
      std::printf("\n");                                          \
    }                                                             \
  } while (0)

void cuda_ok(cudaError_t e) {
  if (e != cudaSuccess) throw strata::Error(std::string("CUDA: ") + cudaGetErrorString(e));
}

template <typename T>
struct Device {  // RAII device copy of a host vector
  T* p = nullptr;
  size_t n = 0;
  explicit Device(size_t count) : n(count) { cuda_ok(cudaMalloc(&p, (n ? n : 1) * sizeof(T))); }
  explicit Device(const std::vector<T>& v) : Device(v.size()) {
    cuda_ok(cudaMemcpy(p, v.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~Device() { cudaFree(p); }
  std::vector<T> host() const {
    std::vector<T> v(n);
    cuda_ok(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
};

std::vector<float> random_values(std::mt19937_64& rng, size_t n, float scale) {
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = d(rng) * (i % 61 == 3 ? 30.0f : 1.0f);
  if (n > 4) v[1] = 0.0f, v[2] = -0.0f, v[3] = 1e-40f;  // zeros and a denormal
  return v;
}

void test_format(std::mt19937_64& rng, const QuantFormat& f, int64_t rows, int64_t cols,
                 cudaStream_t s) {
  const std::string name =
      format_name(f) + " [" + std::to_string(rows) + ", " + std::to_string(cols) + "]";
  std::vector<float> x = random_values(rng, size_t(rows * cols), 2.0f);
  const int64_t bytes = packed_bytes(f, rows, cols);
  std::vector<uint8_t> ref(static_cast<size_t>(bytes));
  quantize_ref(f, x.data(), rows, cols, ref.data());
  const QuantMatrix ref_w{f, ref.data(), rows, cols};

  Device<float> dx(x);
  Device<uint8_t> dp(static_cast<size_t>(bytes));
  cuda::quantize(f, dx.p, rows, cols, dp.p, s);
  cuda_ok(cudaStreamSynchronize(s));
  EXPECT(dp.host() == ref, "%s: quantize bytes differ from quantize_ref", name.c_str());

  // fp16 input: the same codes as the reference on the fp16 values widened to fp32.
  std::vector<uint16_t> xh(x.size());
  std::vector<float> xw(x.size());
  for (size_t i = 0; i < x.size(); ++i) xw[i] = f16_to_f32(xh[i] = f32_to_f16(x[i]));
  std::vector<uint8_t> ref_h(static_cast<size_t>(bytes));
  quantize_ref(f, xw.data(), rows, cols, ref_h.data());
  Device<uint16_t> dxh(xh);
  cuda::quantize_f16(f, dxh.p, rows, cols, dp.p, s);
  cuda_ok(cudaStreamSynchronize(s));
  EXPECT(dp.host() == ref_h, "%s: quantize_f16 bytes differ", name.c_str());

  // Dequantize the reference bytes, whole and a row range (band-aligned for kRows not needed).
  Device<uint8_t> dref(ref);
  const QuantMatrix dw{f, dref.p, rows, cols};
  for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {rows / 3, rows - rows / 5}}) {
    const size_t n = size_t((r1 - r0) * cols);
    std::vector<float> want(n);
    dequantize_ref(ref_w, r0, r1, want.data());
    Device<float> out(n);
    Device<uint16_t> out_h(n);
    cuda::dequantize(dw, r0, r1, out.p, s);
    cuda::dequantize_f16(dw, r0, r1, out_h.p, s);
    cuda_ok(cudaStreamSynchronize(s));
    const std::vector<float> got = out.host();
    const std::vector<uint16_t> got_h = out_h.host();
    size_t bad = 0, bad_h = 0;
    for (size_t i = 0; i < n; ++i) {
      bad += f32_as_bits(got[i]) != f32_as_bits(want[i]);
      bad_h += got_h[i] != f32_to_f16(want[i]);
    }
    EXPECT(bad == 0, "%s rows [%lld, %lld): %zu fp32 values differ", name.c_str(), (long long)r0,
           (long long)r1, bad);
    EXPECT(bad_h == 0, "%s rows [%lld, %lld): %zu fp16 values differ", name.c_str(), (long long)r0,
           (long long)r1, bad_h);
  }
}

void test_gemm(std::mt19937_64& rng, const QuantFormat& f, int64_t m, int64_t n, int64_t k,
               cudaStream_t s) {
  const std::vector<float> w = random_values(rng, size_t(n * k), 1.0f);
  const std::vector<float> x = random_values(rng, size_t(m * k), 2.0f);
  const std::vector<float> bias = random_values(rng, size_t(n), 3.0f);
  std::vector<uint8_t> packed(size_t(packed_bytes(f, n, k)));
  quantize_ref(f, w.data(), n, k, packed.data());
  std::vector<float> dq(size_t(n * k));
  dequantize_ref({f, packed.data(), n, k}, 0, n, dq.data());

  Device<uint8_t> dp(packed);
  Device<float> dx(x), db(bias), dy(size_t(m * n));
  cuda::gemm_decode(dx.p, m, {f, dp.p, n, k}, db.p, dy.p, s);
  cuda_ok(cudaStreamSynchronize(s));
  const std::vector<float> y = dy.host();
  size_t bad = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias[size_t(j)], mag = std::fabs(bias[size_t(j)]);
      for (int64_t t = 0; t < k; ++t) {
        const double p = double(x[size_t(i * k + t)]) * dq[size_t(j * k + t)];
        sum += p;
        mag += std::fabs(p);
      }
      const double tol = double(k + 2) * std::ldexp(1.0, -24) * mag + 1e-30;
      bad += !(std::fabs(y[size_t(i * n + j)] - sum) <= tol);
    }
  }
  EXPECT(bad == 0, "%s gemm_decode m=%lld n=%lld k=%lld: %zu outputs out of tolerance",
         format_name(f).c_str(), (long long)m, (long long)n, (long long)k, bad);
}

}  // namespace

int main() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("no GPU: skipped\n");
    return 77;
  }
  try {
    const unsigned long long seed = std::random_device{}();
    std::printf("seed %llu\n", seed);
    std::mt19937_64 rng(seed);
    cudaStream_t s;
    cuda_ok(cudaStreamCreate(&s));
    for (QuantBits b : {QuantBits::k4, QuantBits::k8}) {
      for (int32_t g : {8, 64, 128}) {
        for (GroupAxis a : {GroupAxis::kCols, GroupAxis::kRows}) {
          for (auto [rows, cols] :
               {std::pair<int64_t, int64_t>{1, 1}, {3, 64}, {130, 77}, {257, 1000}}) {
            test_format(rng, {b, g, a}, rows, cols, s);
          }
        }
        for (int64_t m : {1, 3, 8, 9, 64}) {
          for (auto [n, k] : {std::pair<int64_t, int64_t>{1, 1}, {33, 200}, {300, 4096}}) {
            test_gemm(rng, {b, g, GroupAxis::kCols}, m, n, k, s);
          }
        }
      }
    }
    // Device NaN / inf handling (documented): saturated like +-65504, NaN to -65504.
    {
      const QuantFormat f{};
      std::vector<float> x = random_values(rng, 64, 1.0f), sat = x;
      x[5] = NAN, sat[5] = -65504.0f;
      x[9] = INFINITY, sat[9] = 65504.0f;
      std::vector<uint8_t> want(size_t(packed_bytes(f, 1, 64)));
      quantize_ref(f, sat.data(), 1, 64, want.data());
      Device<float> dx(x);
      Device<uint8_t> dp(want.size());
      cuda::quantize(f, dx.p, 1, 64, dp.p, s);
      cuda_ok(cudaStreamSynchronize(s));
      EXPECT(dp.host() == want, "NaN / inf saturation differs from the documented behaviour");
    }
    // Host-side argument checks.
    // Host-side argument checks: only the named argument is wrong in each call.
    {
      Device<uint8_t> dp(static_cast<size_t>(packed_bytes(QuantFormat{}, 1, 64)));
      Device<float> dx(65 * 64), dy(65);
      const QuantFormat rows_axis{QuantBits::k4, 64, GroupAxis::kRows};
      auto throws = [](auto&& call) {
        try {
          call();
        } catch (const strata::Error&) {
          return true;
        }
        return false;
      };
      EXPECT(!throws([&] {
        cuda::gemm_decode(dx.p, 64, {QuantFormat{}, dp.p, 1, 64}, nullptr, dy.p, s);
      }),
             "gemm_decode rejected valid arguments");
      EXPECT(throws([&] {
               cuda::gemm_decode(dx.p, 65, {QuantFormat{}, dp.p, 1, 64}, nullptr, dy.p, s);
             }),
             "gemm_decode accepted m = 65");
      EXPECT(throws([&] {
               cuda::gemm_decode(dx.p, 1, {rows_axis, dp.p, 1, 64}, nullptr, dy.p, s);
             }),
             "gemm_decode accepted a kRows matrix");
      EXPECT(throws([&] {
               cuda::dequantize({QuantFormat{}, dp.p + 1, 1, 64}, 0, 1, dy.p, s);
             }),
             "dequantize accepted a misaligned packed pointer");
      cuda_ok(cudaStreamSynchronize(s));
    }
    cuda_ok(cudaStreamDestroy(s));
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::printf(g_failures ? "%d failures\n" : "all CUDA quant checks passed\n", g_failures);
  return g_failures ? 1 : 0;
}
