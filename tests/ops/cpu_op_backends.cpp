// The backends of strata_ops_tests (label unit, no GPU): the CPU backend, and the CPU ops behind a
// separate device memory (op_backends.h says why).
#include "engine/separate_device_memory.h"
#include "ops/op_backends.h"

namespace strata::ops_test {

void add_present_backends(std::vector<OpBackend>& list) {
  OpBackend cpu;
  cpu.name = "cpu";
  cpu.backend = make_backend(BackendKind::cpu);
  cpu.attention_partial = attention_partial_cpu;
  cpu.merge = merge_attention_partials;
  list.push_back(std::move(cpu));

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
