#include "engine/backend/backend.h"

#include "common/error.h"
#include "engine/backend/attention_partial.h"
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

void check_same_shape(const Tensor& a, const Tensor& b, const char* what) {
  STRATA_CHECK(a.dim(0) == b.dim(0) && a.dim(1) == b.dim(1), what, " shapes ", a.shape_string(),
               " and ", b.shape_string(), " differ");
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

void Backend::rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) {
  check_f32_matrix(x, "rms_norm input");
  check_f32_matrix(y, "rms_norm output");
  check_same_shape(x, y, "rms_norm");
  check_vector(gamma, x.dim(1), "rms_norm gamma");
  STRATA_CHECK(gamma.empty() || gamma.dtype() == DType::f32 || gamma.dtype() == DType::f16 ||
                   gamma.dtype() == DType::bf16,
               "rms_norm gamma must be f32, f16 or bf16, got ", gamma.shape_string());
  STRATA_CHECK(eps >= 0.0f, "rms_norm eps ", eps, " is negative");
  do_rms_norm(x, gamma, eps, y);
}

void Backend::rope(Tensor& x, int64_t head_dim, const int32_t* positions,
                   std::span<const float> inv_freq) {
  check_f32_matrix(x, "rope input");
  STRATA_CHECK(head_dim > 0 && head_dim % 2 == 0 && x.dim(1) % head_dim == 0, "rope head_dim ",
               head_dim, " must be even and divide the row width of ", x.shape_string());
  STRATA_CHECK(int64_t(inv_freq.size()) == head_dim / 2, "rope needs head_dim / 2 = ",
               head_dim / 2, " inverse frequencies, got ", inv_freq.size());
  STRATA_CHECK(x.dim(0) == 0 || positions != nullptr, "rope of ", x.dim(0),
               " rows without positions");
  do_rope(x, head_dim, positions, inv_freq);
}

void Backend::silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  check_f32_matrix(gate, "silu_mul gate");
  check_f32_matrix(up, "silu_mul up");
  check_f32_matrix(out, "silu_mul output");
  check_same_shape(gate, up, "silu_mul gate and up");
  check_same_shape(gate, out, "silu_mul gate and output");
  do_silu_mul(gate, up, out);
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
               "attention q and out must be [batch, positions, heads * head_dim] f32");
  const int64_t b = a.q.dim(0), t = a.q.dim(1), e = a.q.dim(2), s = a.k_cache.dim(1);
  check_attention_heads(a);
  const int64_t kv_heads = a.kv_heads(), d = e / a.num_heads;
  // [B, S, kv_heads * head_dim] f32, f16 or bf16, or packed [B, S, kv_heads, head_dim].
  const bool packed = is_quantized(a.k_cache.dtype());
  const auto cache_ok = [&](const Tensor& c) {
    if (c.format() != a.k_cache.format() || c.dim(0) != b || c.dim(1) != s) return false;
    if (!packed) return c.rank() == 3 && is_kv_dense_dtype(c.dtype()) && c.dim(2) == kv_heads * d;
    return c.rank() == 4 && c.dim(2) == kv_heads && c.dim(3) == d;
  };
  STRATA_CHECK(cache_ok(a.k_cache) && cache_ok(a.v_cache) && a.out.dim(0) == b &&
                   a.out.dim(1) == t && a.out.dim(2) == e,
               "attention shapes: q ", a.q.shape_string(), ", k ", a.k_cache.shape_string(),
               ", v ", a.v_cache.shape_string(), ", out ", a.out.shape_string(), ", ",
               a.num_heads, " heads, ", kv_heads, " KV heads");
  STRATA_CHECK(a.first_query_slot >= 0 && a.first_query_slot + t <= s, "queries at slots [",
               a.first_query_slot, ", ", a.first_query_slot + t, ") exceed the cache's ", s);
  do_attention(a);
}

void Backend::store_rows(const Tensor& x, const Tensor& out) {
  check_f32_matrix(x, "store_rows input");
  STRATA_CHECK(out.rank() == 2 && out.dim(0) == x.dim(0) && out.dim(1) == x.dim(1) &&
                   (is_kv_dense_dtype(out.dtype()) || is_quantized(out.dtype())),
               "store_rows shapes: x ", x.shape_string(), " -> ", out.shape_string());
  do_store_rows(x, out);
}

std::unique_ptr<Backend> make_backend(BackendKind kind,
                                      std::function<void(const std::string&)> warn,
                                      int cpu_threads) {
  switch (kind) {
    case BackendKind::cpu: {
      CpuBackendOptions options;
      if (cpu_threads > 0) options.threads = cpu_threads;
      return std::make_unique<CpuBackend>(options);
    }
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
