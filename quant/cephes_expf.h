// Constants of Cephes' expf (S. L. Moshier, Cephes Math Library, expf.c), shared by the SIMD
// softmax kernels (attention_rows_avx2.cpp / _avx512.cpp): exp(x) = 2^n · e^r with
// n = round(x · log2 e), r = x - n · ln 2 (ln 2 split into an exact part and a correction), and
// e^r = 1 + r + r² · P(r) on |r| <= ln 2 / 2. Below kExpMin the result is taken as 0 (exp would
// be subnormal there; a softmax weight that small does not change a sum of weights >= 1).
#pragma once

namespace strata::quant::cephes {

inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;     // exact in 10 bits: n · kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;  // ln 2 - kLn2Hi
inline constexpr float kExpMin = -87.3365447505f;  // exp(kExpMin) is FLT_MIN
inline constexpr float kP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

}  // namespace strata::quant::cephes
