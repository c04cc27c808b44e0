// Which CPU instruction set the CPU kernels run with, and how many threads they may use. Chosen by
// the caller (usually detect_cpu_isa() once at start-up, threads from --threads) and passed
// explicitly, so tests can force every path, the portable one included.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace strata::quant {

// Ordered: each level can run every kernel of the levels below it.
enum class CpuIsa : uint8_t {
  kScalar,  // portable C++: the reference dequantizer, scalar half-weight loops
  kAvx2,    // AVX2 + FMA + F16C kernels (files *_avx2.cpp)
  kAvx512,  // AVX2's features + AVX-512 F/BW/VL (files *_avx512.cpp; f16 widened by vcvtph2ps)
};

// The best level this CPU runs.
CpuIsa detect_cpu_isa();

// Every level this CPU runs, kScalar first (tests force each one).
std::vector<CpuIsa> runnable_cpu_isas();

// Throws strata::Error when isa is not runnable on this CPU.
void check_cpu_isa(CpuIsa isa);

const char* cpu_isa_name(CpuIsa isa);

class ComputePool;

// What a CPU GEMM may use: an instruction set, a thread count (>= 1) and the pool whose threads
// run Strata's kernels (quant/compute_pool.h; null: a pool is made for the call, as tests do).
// Implicit from a CpuIsa (one thread) so that single-threaded callers stay short.
struct CpuCompute {
  CpuCompute(CpuIsa isa_in, int threads_in = 1, ComputePool* pool_in = nullptr)
      : isa(isa_in), threads(threads_in), pool(pool_in) {}
  CpuIsa isa;
  int threads;
  ComputePool* pool;

  // fn(t) for t in [0, tasks) on `team` threads (1: inline on the caller).
  void run(int team, int64_t tasks, const std::function<void(int64_t)>& fn) const;
};

}  // namespace strata::quant
