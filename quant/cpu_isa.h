// Which CPU instruction set the quant kernels run with. Chosen by the caller (usually from
// detect_cpu_isa() once at start-up) and passed explicitly, so tests can force the scalar path.
#pragma once

#include <cstdint>

namespace strata::quant {

enum class CpuIsa : uint8_t {
  kScalar,  // portable C++: the reference dequantizer, OpenBLAS for the GEMM
  kAvx2,    // AVX2 + FMA + F16C kernels (files *_avx2.cpp)
};

// kAvx2 when this CPU has AVX2, FMA and F16C, else kScalar.
CpuIsa detect_cpu_isa();

// Throws strata::Error when isa is not runnable on this CPU.
void check_cpu_isa(CpuIsa isa);

const char* cpu_isa_name(CpuIsa isa);

}  // namespace strata::quant
