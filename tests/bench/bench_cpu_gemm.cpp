// strata_bench_cpu_gemm: a benchmark, not a test (docs/benchmarks.md section 9 records its
// figures). It measured the choice of the CPU backend's GEMM (issue 15 point 1) and keeps
// measuring the decode weight pass (point 2):
//   prefill  y[m, n] = x[m, k] · w[n, k]ᵀ at prefill shapes, GFLOP/s of: OpenBLAS and BLIS as
//            they pick their own kernels (both loaded with dlopen when installed, so Strata does not
//            link them), oneDNN's matmul as Strata calls it (quant/sgemm_cpu.h), and Strata's
//            CpuBackend::linear with f32 and f16 weights (widening included).
//   decode   m = 1..64 rows against f16, q8 and q4 weights several times the size of the
//            last-level cache: weight bytes per second of CpuBackend::linear on each instruction
//            set (and former paths: widen a tile, then GEMM; the AVX-512 q4 one-row kernel before
//            its 16-level lookup; q4/q8 at 2-64 rows before the strip kernel), next to the DRAM
//            read rate.
// Candidates run in turn, round after round, so a noisy neighbour slows all of them alike; each
// figure is the median round and the best round.
//
// Usage: strata_bench_cpu_gemm [--threads N] [--rounds R] [--only prefill|decode]
//                              [--openblas-coretype NAME] [--shape MxKxN]...
//   --shape replaces the prefill shapes (repeatable), e.g. 128x768x768 for one block of 4 x 32
//   tokens through an OPT-125m projection.
//   --openblas-coretype sets OPENBLAS_CORETYPE before OpenBLAS is loaded (its documented
//   override), to measure the kernel it would run if it recognised this CPU.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/cpu_cores.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/core/half.h"
#include "engine/core/tensor.h"
#include "quant/banded_gemm.h"
#include "quant/compute_pool.h"
#include "quant/dequantize_cpu.h"
#include "quant/gemm_cpu.h"
#include "quant/kernels_avx2.h"
#include "quant/quant_kernels_avx512.h"
#include "quant/half_gemm.h"
#include "quant/reference.h"
#include "quant/sgemm_cpu.h"
#include "tests/bench/blas_libraries.h"
#include "tests/bench/former_q4_gemv.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

struct Candidate {
  Candidate(std::string n, std::function<void()> f) : name(std::move(n)), run(std::move(f)) {}
  std::string name;
  std::function<void()> run;
  std::vector<double> seconds;
};

// Runs every candidate once per round, `rounds` rounds after one warm-up round.
void run_rounds(std::vector<Candidate>& cands, int rounds) {
  for (int r = -1; r < rounds; ++r) {
    for (Candidate& c : cands) {
      const auto t0 = Clock::now();
      c.run();
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (r >= 0) c.seconds.push_back(s);
    }
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<float> random_floats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = f32_to_f16(v[i]);
  return h;
}

// ---- prefill -------------------------------------------------------------------------------

struct Shape {
  int64_t m, k, n;
  const char* what;
};

const std::vector<Shape> kPrefillShapes = {{2048, 768, 3072, "OPT-125m fc1, 16 x 128 tokens"},
                                           {2048, 3072, 768, "OPT-125m fc2"},
                                           {4096, 2048, 8192, "OPT-1.3b fc1, 8 x 512 tokens"}};

void bench_prefill(int threads, int rounds, const OpenBlas& openblas, const Blis& blis,
                   const std::vector<Shape>& shapes) {
  std::printf("\n## prefill GEMMs, %d threads: GFLOP/s median (best) of %d rounds\n\n", threads,
              rounds);
  std::printf(
      "| shape m x k x n | path | median | best | median / best measured "
      "|\n|---|---|---|---|---|\n");
  CpuBackend be(CpuBackendOptions{quant::detect_cpu_isa(), threads});
  for (const Shape& s : shapes) {
    const std::vector<float> x = random_floats(size_t(s.m * s.k), 1.0f, 1);
    std::vector<float> w = random_floats(size_t(s.n * s.k), 0.05f, 2);
    const std::vector<uint16_t> wh = to_f16(w);
    std::vector<float> y(size_t(s.m * s.n));
    const int m = int(s.m), n = int(s.n), k = int(s.k);
    std::vector<Candidate> cands;
    if (openblas.sgemm) {
      cands.push_back({"OpenBLAS sgemm (kernel " + openblas.core + ")", [&] {
                         openblas.sgemm(kRowMajor, kNoTrans, kTrans, m, n, k, 1.0f, x.data(), k,
                                        w.data(), k, 0.0f, y.data(), n);
                       }});
    }
    if (blis.sgemm) {
      cands.push_back({"BLIS bli_sgemm (kernel " + blis.arch + ")", [&] {
                         const float one = 1.0f, zero = 0.0f;
                         blis.sgemm(0, 8, s.m, s.n, s.k, &one, x.data(), s.k, 1, w.data(), s.k, 1,
                                    &zero, y.data(), s.n, 1);
                       }});
    }
    cands.push_back({"oneDNN matmul f32 (sgemm_nt)", [&] {
                       quant::sgemm_nt(x.data(), w.data(), y.data(), {s.m, s.n, s.k, s.n}, threads);
                     }});
    Tensor xt(const_cast<float*>(x.data()), DType::f32, {s.m, s.k});
    Tensor wt(w.data(), DType::f32, {s.n, s.k});
    Tensor wht(const_cast<uint16_t*>(wh.data()), DType::f16, {s.n, s.k});
    Tensor yt(y.data(), DType::f32, {s.m, s.n});
    cands.push_back({"Strata linear, f32 weights", [&] { be.linear(xt, wt, Tensor(), yt); }});
    cands.push_back({"Strata linear, f16 weights", [&] { be.linear(xt, wht, Tensor(), yt); }});
    run_rounds(cands, rounds);
    const double flop = 2.0 * double(s.m) * double(s.n) * double(s.k);
    double top = 0;
    for (const Candidate& c : cands)
      top = std::max(top, flop / *std::min_element(c.seconds.begin(), c.seconds.end()));
    for (const Candidate& c : cands) {
      const double med = flop / median(c.seconds) / 1e9;
      const double best = flop / *std::min_element(c.seconds.begin(), c.seconds.end()) / 1e9;
      std::printf("| %ld x %ld x %ld (%s) | %s | %.1f | %.1f | %.2f |\n", long(s.m), long(s.k),
                  long(s.n), s.what, c.name.c_str(), med, best, med * 1e9 / top);
    }
  }
}

// ---- decode --------------------------------------------------------------------------------

// Bytes per second of reading `bytes` once with `threads` threads (a sum the compiler vectorizes).
double dram_read_bytes_per_s(const std::vector<uint64_t>& buf, int threads, int rounds) {
  std::vector<double> secs;
  volatile uint64_t sink = 0;
  for (int r = -1; r < rounds; ++r) {
    const auto t0 = Clock::now();
    uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total) schedule(static)
    for (size_t i = 0; i < buf.size(); ++i) total += buf[i];
    sink = sink + total;
    if (r >= 0) secs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return double(buf.size() * 8) / median(secs);
}

// y = x . dequant(w)^T through the former AVX-512 q4 one-row kernel, prepared and split over
// cpu.threads as quant_gemm_cpu's direct path does (x's group sums per call; at least 64 rows per
// thread). x: [w.cols], a multiple of the group size here.
void former_q4_linear(const float* x, const quant::QuantMatrix& w, float* y,
                      const quant::CpuCompute& cpu) {
  const int64_t g = w.format.group_size, groups = quant::groups_per_row(w.format, w.cols);
  std::vector<float> xsum(size_t(groups), 0.0f);
  for (int64_t p = 0; p < w.cols; ++p) xsum[size_t(p / g)] += x[p];
  const int64_t n = w.rows, rb = quant::row_bytes(w.format, w.cols);
  const int team = int(std::clamp<int64_t>(n / 64, 1, cpu.threads));
  cpu.run(team, team, [&](int64_t t) {
    const int64_t j0 = n * t / team, j1 = n * (t + 1) / team;
    bench::former_q4_gemv(x, xsum.data(), {w.format, w.data + j0 * rb, j1 - j0, w.cols}, y + j0);
  });
}

// The paths quant_gemm_cpu took before the AVX-512 strip kernel and q8's multi-row direct kernel,
// for A/B: above 4 rows of x
// banded_gemm (each thread dequantizes a band into L2 and runs a one-thread oneDNN product); at
// 1-4 rows the direct kernels (AVX-512 q4 lookup, AVX2 q8), rows split over cpu.threads as
// gemm_direct does. x: [m, w.cols], w.cols a multiple of the group size (no padding needed).
void former_quant_linear(const float* x, int64_t m, const quant::QuantMatrix& w, float* y,
                         const quant::CpuCompute& cpu) {
  const int64_t n = w.rows, k = w.cols;
  if (m > quant::kGemmDirectMaxM) {
    const quant::DecodeRows dequantize = [&](int64_t r0, int64_t r1, float* out) {
      quant::dequantize_cpu(w, r0, r1, out, cpu.isa);
    };
    quant::banded_gemm(x, m, n, k, 1, dequantize, y, n, cpu);
    return;
  }
  const bool q4 = w.format.bits == quant::QuantBits::k4;
  std::vector<float> xs(x, x + m * k);
  if (q4) {
    for (int64_t i = 0; i < m; ++i)
      quant::avx512::arrange_x_q4(x + i * k, k, w.format.group_size, xs.data() + i * k);
  }
  const int64_t rb = quant::row_bytes(w.format, k);
  const int team = int(std::clamp<int64_t>(n / 64, 1, cpu.threads));
  cpu.run(team, team, [&](int64_t t) {
    const int64_t j0 = n * t / team, j1 = n * (t + 1) / team;
    const quant::QuantMatrix part{w.format, w.data + j0 * rb, j1 - j0, k};
    if (q4) {
      quant::avx512::gemm_q4(xs.data(), int(m), k, part, nullptr, y + j0, n);
    } else {
      quant::avx2::gemm_small_m(xs.data(), int(m), k, part, nullptr, y + j0, n);
    }
  });
}

void bench_decode(int threads, int rounds) {
  // OPT-1.3b's fc1 geometry, 6 matrices: 192 MiB of f16, several times any last-level cache, so
  // every pass reads its weights from DRAM.
  const int64_t n = 8192, k = 2048, count = 6;
  std::printf("\n## decode weight pass, %d threads: %ld matrices [%ld, %ld] per pass\n\n", threads,
              long(count), long(n), long(k));
  std::vector<std::vector<uint16_t>> f16(count);
  std::vector<std::vector<uint8_t>> q8(count), q4(count);
  const quant::QuantFormat f8{quant::QuantBits::k8, 64, quant::GroupAxis::kCols};
  const quant::QuantFormat f4{quant::QuantBits::k4, 64, quant::GroupAxis::kCols};
  for (int64_t c = 0; c < count; ++c) {
    const std::vector<float> w = random_floats(size_t(n * k), 0.05f, uint32_t(10 + c));
    f16[size_t(c)] = to_f16(w);
    q8[size_t(c)].resize(size_t(quant::packed_bytes(f8, n, k)));
    q4[size_t(c)].resize(size_t(quant::packed_bytes(f4, n, k)));
    quant::quantize_ref(f8, w.data(), n, k, q8[size_t(c)].data());
    quant::quantize_ref(f4, w.data(), n, k, q4[size_t(c)].data());
  }
  std::vector<uint64_t> big(size_t(256) << 17, 1);  // 256 MiB
  const double dram = dram_read_bytes_per_s(big, threads, rounds);
  std::printf("DRAM read (sum over 256 MiB): %.1f GB/s\n\n", dram / 1e9);
  std::printf(
      "| m | weights | path | GB/s of weights, median (best) | of DRAM read | GFLOP/s median "
      "|\n|---|---|---|---|---|---|\n");
  for (int64_t m : {1, 2, 4, 8, 16, 32, 64}) {
    const std::vector<float> x = random_floats(size_t(m * k), 1.0f, 3);
    std::vector<float> y(size_t(m * n));
    Tensor xt(const_cast<float*>(x.data()), DType::f32, {m, k});
    Tensor yt(y.data(), DType::f32, {m, n});
    std::vector<Candidate> cands;
    struct Kind {
      const char* name;
      DType dt;
      std::vector<std::vector<uint8_t>>* packed;
      int64_t bytes;
    };
    for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
      if (isa == quant::CpuIsa::kScalar && m > 1) continue;  // minutes per round; m = 1 shows it
      auto be = std::make_shared<CpuBackend>(CpuBackendOptions{isa, threads});
      cands.push_back(
          {std::string("f16|linear, ") + quant::cpu_isa_name(isa), [be, &f16, &xt, &yt, n, k] {
             for (auto& w : f16) be->linear(xt, Tensor(w.data(), DType::f16, {n, k}), Tensor(), yt);
           }});
    }
    // The former path for every m: widen a tile of 256 Ki floats, then GEMM it.
    auto tile = std::make_shared<std::vector<float>>(size_t(256 * 1024));
    cands.push_back(
        {"f16|widen tile + oneDNN GEMM (the prefill path)", [tile, &f16, &x, &y, m, n, k, threads] {
           const int64_t rows = int64_t(tile->size()) / k;
           for (auto& w : f16) {
             const quant::HalfMatrix h{quant::HalfType::kF16, w.data(), n, k};
             for (int64_t r0 = 0; r0 < n; r0 += rows) {
               const int64_t r = std::min(rows, n - r0);
               quant::widen_half_rows(h, r0, r0 + r, tile->data(),
                                      {quant::detect_cpu_isa(), threads});
               quant::sgemm_nt(x.data(), tile->data(), y.data() + r0, {m, r, k, n}, threads);
             }
           }
         }});
    // q8/q4 on every SIMD level: the direct kernels (m <= 4) differ per level.
    for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
      if (isa == quant::CpuIsa::kScalar) continue;
      auto be = std::make_shared<CpuBackend>(CpuBackendOptions{isa, threads});
      for (auto [name, dt, packed] :
           {std::tuple{"q8", DType::q8, &q8}, std::tuple{"q4", DType::q4, &q4}}) {
        cands.push_back(
            {std::string(name) + "|linear (group 64), " + quant::cpu_isa_name(isa),
             [be, packed = packed, dt = dt, &xt, &yt, n, k] {
               for (auto& w : *packed)
                 be->linear(xt, Tensor::packed(w.data(), TensorFormat{dt, 64}, n, k), Tensor(),
                            yt);
             }});
      }
    }
    // A/B: the AVX-512 q4 one-row kernel before the 16-level lookup, on a pool as the backend's.
    const std::vector<quant::CpuIsa> isas = quant::runnable_cpu_isas();
    if (m == 1 && std::count(isas.begin(), isas.end(), quant::CpuIsa::kAvx512) > 0) {
      auto pool = std::make_shared<quant::ComputePool>(threads);
      cands.push_back({"q4|former AVX-512 one-row kernel (A/B)", [pool, &q4, &x, &y, f4, n, k] {
                         for (auto& w : q4)
                           former_q4_linear(x.data(), {f4, w.data(), n, k}, y.data(),
                                            {quant::CpuIsa::kAvx512, pool->threads(), pool.get()});
                       }});
    }
    // A/B: the paths before the AVX-512 strip kernel and q8's multi-row kernel, where the backend
    // now takes them.
    if (std::count(isas.begin(), isas.end(), quant::CpuIsa::kAvx512) > 0) {
      auto pool = std::make_shared<quant::ComputePool>(threads);
      for (auto [name, f, packed] : {std::tuple{"q8", f8, &q8}, std::tuple{"q4", f4, &q4}}) {
        // Changed: q8 from 2 rows (AVX-512 direct, then strips), q4 from the strips' minimum.
        if (m < (f.bits == quant::QuantBits::k4 ? quant::kGemmStripsMinM : 2)) continue;
        cands.push_back({std::string(name) + "|former path (A/B)",
                         [pool, packed = packed, f = f, &x, &y, m, n, k] {
                           for (auto& w : *packed)
                             former_quant_linear(
                                 x.data(), m, {f, w.data(), n, k}, y.data(),
                                 {quant::CpuIsa::kAvx512, pool->threads(), pool.get()});
                         }});
      }
    }
    run_rounds(cands, rounds);
    for (const Candidate& c : cands) {
      const std::string kind = c.name.substr(0, c.name.find('|'));
      const double per = kind == "f16"  ? 2.0
                         : kind == "q8" ? double(q8[0].size()) / double(n * k)
                                        : double(q4[0].size()) / double(n * k);
      const double bytes = per * double(n * k * count);
      const double med = median(c.seconds),
                   best = *std::min_element(c.seconds.begin(), c.seconds.end());
      std::printf("| %ld | %s | %s | %.1f (%.1f) | %.0f%% | %.1f |\n", long(m), kind.c_str(),
                  c.name.substr(c.name.find('|') + 1).c_str(), bytes / med / 1e9,
                  bytes / best / 1e9, 100.0 * bytes / med / dram,
                  2.0 * double(m * n * k * count) / med / 1e9);
    }
  }
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  int threads = strata::available_cpu_cores(), rounds = 7;
  std::string only;
  std::vector<strata::Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc &&
               (std::string(argv[i + 1]) == "prefill" || std::string(argv[i + 1]) == "decode")) {
      only = argv[++i];
    } else if (a == "--openblas-coretype" && i + 1 < argc) {
      setenv("OPENBLAS_CORETYPE", argv[++i], 1);
    } else if (a == "--shape" && i + 1 < argc) {
      long m = 0, k = 0, n = 0;
      if (std::sscanf(argv[++i], "%ldx%ldx%ld", &m, &k, &n) != 3 || m < 1 || k < 1 || n < 1) {
        std::fprintf(stderr, "--shape: expected MxKxN with positive sizes, got %s\n", argv[i]);
        return 2;
      }
      shapes.push_back({m, k, n, "--shape"});
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--rounds R] [--only prefill|decode] "
                   "[--openblas-coretype NAME] [--shape MxKxN]...\n",
                   argv[0]);
      return 2;
    }
  }
  if (threads < 1 || rounds < 1) {
    std::fprintf(stderr, "--threads and --rounds must be positive\n");
    return 2;
  }
  const strata::OpenBlas openblas = strata::load_openblas(threads);
  const strata::Blis blis = strata::load_blis(threads);
  std::printf("# strata_bench_cpu_gemm: %d threads, best ISA %s%s%s\n", threads,
              strata::quant::cpu_isa_name(strata::quant::detect_cpu_isa()),
              openblas.sgemm ? "" : ", no OpenBLAS", blis.sgemm ? "" : ", no BLIS");
  if (only != "decode") strata::bench_prefill(threads, rounds, openblas, blis,
                                                 shapes.empty() ? strata::kPrefillShapes : shapes);
  if (only != "prefill") strata::bench_decode(threads, rounds);
  return 0;
}
