#include "quant/sgemm_cpu.h"

#include <omp.h>

#include <algorithm>
#include <dnnl.hpp>

#include "common/error.h"

namespace strata::quant {
namespace {

// oneDNN's CPU engine and an in-order stream hold no per-product state (the primitives are cached
// by oneDNN itself, keyed by shape and thread count), so one of each serves every caller; a
// function-local static makes them once, thread-safely.
struct DnnlCpu {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
};

DnnlCpu& dnnl_cpu() {
  static DnnlCpu cpu;
  return cpu;
}

}  // namespace

void sgemm_nt(const float* x, const float* w, float* y, const SgemmShape& s, int threads) {
  STRATA_CHECK(s.m >= 0 && s.n >= 0 && s.k >= 0 && s.ldy >= s.n, "sgemm_nt shape m = ", s.m,
               ", n = ", s.n, ", k = ", s.k, ", ldy = ", s.ldy);
  STRATA_CHECK(threads >= 1, "sgemm_nt with ", threads, " threads");
  if (s.m == 0 || s.n == 0) return;
  if (s.k == 0) {  // empty reduction; oneDNN refuses zero-sized dimensions
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) y[i * s.ldy + j] = 0.0f;
    return;
  }
  using dnnl::memory;
  // The team size is a property of the calling thread; oneDNN reads it when it makes (and
  // caches) the primitive and when it runs it. A small product runs on fewer threads: a team's
  // fork and join cost microseconds, and its idle members spin after the join, taking the core
  // from the I/O workers and the next op (tiny models, the tests).
  constexpr double kFlopsPerThread = double(1 << 22);  // ~40 us of one core's FMAs
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  omp_set_num_threads(int(std::clamp(flops / kFlopsPerThread, 1.0, double(threads))));
  DnnlCpu& cpu = dnnl_cpu();
  const memory::desc xd({s.m, s.k}, memory::data_type::f32, {s.k, 1});
  const memory::desc wd({s.k, s.n}, memory::data_type::f32, {1, s.k});  // w[n, k] seen as [k, n]
  const memory::desc yd({s.m, s.n}, memory::data_type::f32, {s.ldy, 1});
  try {
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(xd, wd, yd), cpu.engine);
    const dnnl::matmul mm(pd);
    dnnl::stream stream(cpu.engine);
    memory xm(xd, cpu.engine, const_cast<float*>(x)), wm(wd, cpu.engine, const_cast<float*>(w));
    memory ym(yd, cpu.engine, y);
    mm.execute(stream, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(str_cat("oneDNN matmul [", s.m, ", ", s.k, "] x [", s.n, ", ", s.k,
                        "]^T failed: ", e.what()));
  }
}

}  // namespace strata::quant
