// CpuBackend: fp32 compute over f32/f16/bf16 and q4/q8 (group-wise packed) weights. fp32 GEMMs go
// to oneDNN (quant/sgemm_cpu.h); an f16/bf16 weight is widened in registers inside the multiply
// for decode shapes (quant/half_gemm.h) and a tile of rows at a time for the GEMM otherwise, never
// as a whole fp32 matrix; a q4/q8 weight goes to quant's fused dequant-GEMM (quant/gemm_cpu.h:
// in-register dequantization for decode shapes, dequantized tiles + GEMM otherwise). The
// instruction set is detected once when the backend is made (or forced, for tests); the thread
// count is --threads (default: every core the process may use). Attention reads an f16, bf16 or
// fp32 KV cache (half rows widened in registers as they are read) or a q4/q8-compressed one,
// dequantized a row at a time, in (sequence, KV head) tasks on the pool (cpu_attention_head.h).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "common/cpu_cores.h"
#include "engine/backend/backend.h"
#include "quant/compute_pool.h"
#include "quant/cpu_isa.h"

namespace strata {

struct CpuBackendOptions {
  quant::CpuIsa isa = quant::detect_cpu_isa();  // a lower level forces that path (tests)
  int threads = available_cpu_cores();          // compute threads, >= 1
};

class CpuBackend final : public Backend {
 public:
  CpuBackend() : CpuBackend(CpuBackendOptions{}) {}
  explicit CpuBackend(const CpuBackendOptions& options);  // Error on an ISA this CPU lacks
  quant::CpuIsa isa() const { return isa_; }
  int threads() const { return threads_; }
  // What its kernels run with: the ISA, the thread count and the compute pool.
  quant::CpuCompute compute() const { return {isa_, threads_, pool_.get()}; }
  BackendKind kind() const override { return BackendKind::cpu; }
  DeviceMemory& memory() override { return memory_; }

 private:
  void do_linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y) override;
  void do_layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                     Tensor& y) override;
  void do_rms_norm(const Tensor& x, const Tensor& gamma, float eps, Tensor& y) override;
  void do_rope(Tensor& x, int64_t head_dim, const int32_t* positions,
               std::span<const float> inv_freq) override;
  void do_silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override;
  void do_add(const Tensor& x, Tensor& y) override;
  void do_activation(Activation kind, Tensor& x) override;
  void do_embedding(const Tensor& table, const int32_t* ids, Accumulate mode,
                    Tensor& y) override;
  void do_attention(const AttentionArgs& args) override;
  void do_store_rows(const Tensor& x, const Tensor& out) override;
  void packed_attention(const AttentionArgs& args, const quant::CpuCompute& cpu);
  // A norm's gamma or beta, or a linear's bias, as h fp32 values in `buffer` (`fill` everywhere
  // when p is empty).
  static const float* widened_param(const Tensor& p, int64_t h, std::vector<float>& buffer,
                                    float fill);
  // range(begin, end) over [0, items) of items of item_elems floats each, in bands on the pool
  // when the whole is big enough to pay for waking a thread (elementwise ops: item_elems 1).
  void for_bands(int64_t items, int64_t item_elems,
                 const std::function<void(int64_t, int64_t)>& range);
  // row(i) for every i < m of an [m, h] activation, in bands as for_bands.
  void for_rows(int64_t m, int64_t h, const std::function<void(int64_t)>& row);

  std::vector<float> weight_tile_;  // widened rows of an f16/bf16 weight (prefill shapes)
  std::vector<float> bias_f32_;     // a linear's bias in fp32
  std::vector<float> gamma_f32_, beta_f32_;  // a norm's parameters in fp32
  std::vector<float> rope_cos_, rope_sin_;  // one row's cos θ_i and sin θ_i
  HostDeviceMemory memory_;
  quant::CpuIsa isa_;
  int threads_;
  std::unique_ptr<quant::ComputePool> pool_;  // threads_ - 1 sleeping workers for the kernels
};

}  // namespace strata
