// OpenBLAS and BLIS for strata_bench_cpu_gemm, loaded with dlopen when installed (Strata does not
// link them): each picks its own kernel for this CPU, the choice the benchmark measures. A library
// that is absent leaves `sgemm` null.
#pragma once

#include <dlfcn.h>

#include <string>

namespace strata {

enum CblasOrder { kRowMajor = 101 };
enum CblasTranspose { kNoTrans = 111, kTrans = 112 };
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);

struct OpenBlas {
  CblasSgemm sgemm = nullptr;
  std::string core;
};

inline OpenBlas load_openblas(int threads) {
  OpenBlas lib;
  void* h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) return lib;
  lib.sgemm = reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm"));
  auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
  auto corename = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename"));
  if (set_threads) set_threads(threads);
  lib.core = corename ? corename() : "?";
  return lib;
}

// BLIS's typed API: bli_sgemm(transa, transb, m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c,
// rsc, csc) with BLIS_NO_TRANSPOSE = 0 and BLIS_TRANSPOSE = 8 (blis.h trans_t).
using BliSgemm = void (*)(int, int, long, long, long, const float*, const float*, long, long,
                          const float*, long, long, const float*, float*, long, long);

struct Blis {
  BliSgemm sgemm = nullptr;
  std::string arch;
};

inline Blis load_blis(int threads) {
  Blis lib;
  void* h = dlopen("libblis.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!h) return lib;
  lib.sgemm = reinterpret_cast<BliSgemm>(dlsym(h, "bli_sgemm"));
  auto set_threads = reinterpret_cast<void (*)(long)>(dlsym(h, "bli_thread_set_num_threads"));
  auto arch_id = reinterpret_cast<int (*)()>(dlsym(h, "bli_arch_query_id"));
  auto arch_name = reinterpret_cast<const char* (*)(int)>(dlsym(h, "bli_arch_string"));
  if (set_threads) set_threads(threads);
  lib.arch = arch_id && arch_name ? arch_name(arch_id()) : "?";
  return lib;
}

}  // namespace strata
