// The backends of strata_ops_tests (label unit, no GPU): the CPU backend as make_backend gives it
// (the best instruction set, every core), the same backend forced onto each lower instruction set
// this CPU runs (down to the portable scalar kernels, so every dispatch path of the CPU kernels is
// checked against the float64 references), and the CPU ops behind a separate device memory
// (op_backends.h says why).
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/separate_device_memory.h"
#include "ops/op_backends.h"

namespace strata::ops_test {

void add_present_backends(std::vector<OpBackend>& list) {
  OpBackend cpu;
  cpu.name = "cpu";
  cpu.backend = make_backend(BackendKind::cpu);
  // Partial attention on the backend's threads and pool, as the executor would run it.
  const CpuBackend* backend = dynamic_cast<const CpuBackend*>(cpu.backend.get());
  cpu.attention_partial = [backend](const AttentionPartialArgs& p) {
    attention_partial_cpu(p, backend->compute());
  };
  cpu.merge = merge_attention_partials;
  list.push_back(std::move(cpu));

  // Two threads even on a one-core machine, so the split of weight rows across threads runs.
  for (quant::CpuIsa isa : quant::runnable_cpu_isas()) {
    if (isa == quant::detect_cpu_isa()) continue;  // the entry above
    OpBackend forced;
    forced.name = std::string("cpu-") + quant::cpu_isa_name(isa);
    forced.backend = std::make_unique<CpuBackend>(CpuBackendOptions{isa, 2});
    list.push_back(std::move(forced));
  }

  // Partial attention is a host function, not an op of this backend: left out here.
  auto separate = std::make_unique<ut::SeparateMemoryBackend>();
  OpBackend entry;
  entry.name = "cpu-separate-memory";
  ut::SeparateMemoryBackend* raw = separate.get();
  entry.problems = [raw] { return raw->separate_memory().problems(); };
  entry.backend = std::move(separate);
  list.push_back(std::move(entry));
}

}  // namespace strata::ops_test
