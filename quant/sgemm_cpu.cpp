#include "quant/sgemm_cpu.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <unordered_map>
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

// The matmul of one shape and team size, made once per thread. oneDNN caches the primitive
// itself, but describing it (dispatching over its implementations) took ~25 us a call, 13% of
// a 32 x 128 x 2048 band of the banded GEMM (quant/banded_gemm.h; 95 against 83 GFLOP/s).
// Per thread is also what oneDNN asks of concurrent callers (the pool's threads run bands and
// attention blocks at once): built without DNNL_ENABLE_CONCURRENT_EXEC, as Debian's is, its
// scratchpad is per thread and a primitive must run on the thread that made it. A thread runs
// few distinct shapes (a model's matrices, bands and tails), so the cache stays small; it is
// bounded anyway.
const dnnl::matmul& cached_matmul(DnnlCpu& cpu, const SgemmShape& s, int team,
                                  const dnnl::memory::desc& xd, const dnnl::memory::desc& wd,
                                  const dnnl::memory::desc& yd) {
  using Key = std::array<int64_t, 5>;
  struct KeyHash {
    size_t operator()(const Key& key) const {
      size_t h = 0;
      for (int64_t v : key) h = h * 1000003u ^ std::hash<int64_t>()(v);
      return h;
    }
  };
  thread_local std::unordered_map<Key, dnnl::matmul, KeyHash> made;
  constexpr size_t kMaxShapes = 256;
  const Key key{s.m, s.n, s.k, s.ldy, team};
  if (const auto it = made.find(key); it != made.end()) return it->second;
  if (made.size() >= kMaxShapes) made.clear();
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(xd, wd, yd), cpu.engine);
  return made.emplace(key, dnnl::matmul(pd)).first->second;
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
  const int team = int(std::clamp(flops / kFlopsPerThread, 1.0, double(threads)));
  omp_set_num_threads(team);
  DnnlCpu& cpu = dnnl_cpu();
  const memory::desc xd({s.m, s.k}, memory::data_type::f32, {s.k, 1});
  const memory::desc wd({s.k, s.n}, memory::data_type::f32, {1, s.k});  // w[n, k] seen as [k, n]
  const memory::desc yd({s.m, s.n}, memory::data_type::f32, {s.ldy, 1});
  try {
    const dnnl::matmul& mm = cached_matmul(cpu, s, team, xd, wd, yd);
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
