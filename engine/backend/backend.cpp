#include "engine/backend/backend.h"

#include "common/error.h"
#include "engine/backend/cpu/cpu_backend.h"
#ifdef STRATA_WITH_CUDA
#include "engine/backend/cuda/make_cuda_backend.h"
#endif

namespace strata {
namespace {

void check_f32_matrix(const Tensor& t, const char* what) {
  STRATA_CHECK(t.rank() == 2 && t.dtype() == DType::f32, what, " must be a 2-D f32 tensor, got ",
               t.shape_string());
}

void check_vector(const Tensor& t, int64_t n, const char* what) {
  STRATA_CHECK(t.empty() || (t.rank() == 1 && t.dim(0) == n), what, " must be [", n, "], got ",
               t.shape_string());
}

}  // namespace

void Backend::linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) {
  check_f32_matrix(x, "linear input");
  check_f32_matrix(y, "linear output");
  STRATA_CHECK(w.rank() == 2 && w.dim(1) == x.dim(1) && y.dim(0) == x.dim(0) &&
                   y.dim(1) == w.dim(0),
               "linear shapes: x ", x.shape_string(), ", w ", w.shape_string(), ", y ",
               y.shape_string());
  check_vector(bias, w.dim(0), "linear bias");
  do_linear(x, w, bias, y);
}

void Backend::layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                         Tensor& y) {
  check_f32_matrix(x, "layer_norm input");
  check_f32_matrix(y, "layer_norm output");
  STRATA_CHECK(x.dim(0) == y.dim(0) && x.dim(1) == y.dim(1), "layer_norm shapes ",
               x.shape_string(), " -> ", y.shape_string());
  check_vector(gamma, x.dim(1), "layer_norm gamma");
  check_vector(beta, x.dim(1), "layer_norm beta");
  do_layer_norm(x, gamma, beta, eps, y);
}

void Backend::add(const Tensor& x, Tensor& y) {
  STRATA_CHECK(x.dtype() == DType::f32 && y.dtype() == DType::f32 && x.numel() == y.numel(),
               "add shapes ", x.shape_string(), " + ", y.shape_string());
  do_add(x, y);
}

void Backend::activation(Activation kind, Tensor& x) {
  STRATA_CHECK(x.dtype() == DType::f32, "activation on ", x.shape_string());
  do_activation(kind, x);
}

void Backend::embedding(const Tensor& table, const int32_t* ids, Accumulate mode, Tensor& y) {
  check_f32_matrix(y, "embedding output");
  STRATA_CHECK(table.rank() == 2 && table.dim(1) == y.dim(1) && !is_quantized(table.dtype()),
               "embedding table ",
               table.shape_string(), " for output ", y.shape_string());
  for (int64_t i = 0; i < y.dim(0); ++i) {
    STRATA_CHECK(ids[i] >= 0 && ids[i] < table.dim(0), "embedding id ", ids[i],
                 " outside the table's ", table.dim(0), " rows");
  }
  do_embedding(table, ids, mode, y);
}

void Backend::attention(const AttentionArgs& a) {
  STRATA_CHECK(a.q.rank() == 3 && a.out.rank() == 3 && a.q.dtype() == DType::f32 &&
                   a.out.dtype() == DType::f32,
               "attention q and out must be [batch, positions, hidden] f32");
  const int64_t b = a.q.dim(0), t = a.q.dim(1), e = a.q.dim(2), s = a.k_cache.dim(1);
  STRATA_CHECK(a.num_heads > 0 && e % a.num_heads == 0, "hidden ", e, " not divisible by ",
               a.num_heads, " heads");
  // [B, S, hidden] f32, or packed [B, S, heads, head_dim]: hidden as one or two dimensions.
  const bool packed = is_quantized(a.k_cache.dtype());
  const auto cache_ok = [&](const Tensor& c) {
    if (c.format() != a.k_cache.format() || c.dim(0) != b || c.dim(1) != s) return false;
    if (!packed) return c.rank() == 3 && c.dtype() == DType::f32 && c.dim(2) == e;
    return c.rank() == 4 && c.dim(2) == a.num_heads && c.dim(3) == e / a.num_heads;
  };
  STRATA_CHECK(cache_ok(a.k_cache) && cache_ok(a.v_cache) && a.out.dim(0) == b &&
                   a.out.dim(1) == t && a.out.dim(2) == e,
               "attention shapes: q ", a.q.shape_string(), ", k ", a.k_cache.shape_string(),
               ", v ", a.v_cache.shape_string(), ", out ", a.out.shape_string(), ", ",
               a.num_heads, " heads");
  STRATA_CHECK(a.first_query_slot >= 0 && a.first_query_slot + t <= s, "queries at slots [",
               a.first_query_slot, ", ", a.first_query_slot + t, ") exceed the cache's ", s);
  do_attention(a);
}

void Backend::store_rows(const Tensor& x, const Tensor& out) {
  check_f32_matrix(x, "store_rows input");
  STRATA_CHECK(out.rank() == 2 && out.dim(0) == x.dim(0) && out.dim(1) == x.dim(1) &&
                   (out.dtype() == DType::f32 || is_quantized(out.dtype())),
               "store_rows shapes: x ", x.shape_string(), " -> ", out.shape_string());
  do_store_rows(x, out);
}

std::unique_ptr<Backend> make_backend(BackendKind kind,
                                      std::function<void(const std::string&)> warn) {
  switch (kind) {
    case BackendKind::cpu: return std::make_unique<CpuBackend>();
    case BackendKind::cuda:
#ifdef STRATA_WITH_CUDA
      return make_cuda_backend(std::move(warn));  // InputError when no GPU answers
#else
      break;
#endif
  }
  throw Error("this strata was built without CUDA (no nvcc at build time); use --backend cpu");
}

}  // namespace strata
