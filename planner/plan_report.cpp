#include "planner/plan_report.h"

#include <array>
#include <cstdio>
#include <sstream>

#include "planner/byte_size.h"

namespace strata {

namespace {

std::string fixed(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string percent(double f) { return fixed("%5.1f%%", 100.0 * f); }

// `text` left-aligned in `width` columns.
std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

}  // namespace

std::string format_policy(const Policy& p) {
  std::ostringstream out;
  out << "policy: gpu_batch_size " << p.gpu_batch_size << " x num_gpu_batches "
      << p.num_gpu_batches << " (block " << p.block_size() << "), cpu_attention "
      << (p.attention == AttentionPlace::kHost ? "on" : "off") << ", overlap "
      << (p.overlap == Overlap::kOn ? "on" : "off") << "\n";
  out << "  placement       device    host    disk\n";
  const std::pair<const char*, const Placement*> rows[] = {
      {"weights", &p.weights}, {"KV cache", &p.cache}, {"activations", &p.activations}};
  for (const auto& [name, pl] : rows) {
    out << "  " << pad(name, 14) << percent(pl->device) << "  " << percent(pl->host) << "  " << percent(pl->disk) << "\n";
  }
  const std::array<double, 6> fg = flexgen_percent(p);
  out << "  FlexGen --percent";
  for (double v : fg) out << " " << fixed("%.1f", v);
  out << "\n  compression: weights " << to_string(p.compress_weight) << ", KV cache "
      << (p.compress_cache == Compression::kNone ? to_string(p.cache_dtype)
                                                 : to_string(p.compress_cache))
      << "\n";
  return out.str();
}

std::string format_prediction(const Prediction& r) {
  std::ostringstream out;
  out << "predicted by the cost model (not measured), one block:\n";
  out << "  prefill " << fixed("%12.2f", r.prefill_tokens_per_s) << " tokens/s  "
      << fixed("%10.3f s", r.prefill_seconds) << "  (layer " << fixed("%.4f s", r.prefill_layer_seconds)
      << ", bound by " << to_string(r.prefill_bottleneck) << ")\n";
  out << "  decode  " << fixed("%12.2f", r.decode_tokens_per_s) << " tokens/s  "
      << fixed("%10.3f s", r.decode_seconds) << "  (layer " << fixed("%.4f s", r.decode_layer_seconds)
      << ", bound by " << to_string(r.decode_bottleneck) << ")\n";
  out << "  total   " << fixed("%12.2f", r.total_tokens_per_s) << " tokens/s  "
      << fixed("%10.3f s", r.total_seconds) << "\n";
  out << "  busy time:";
  for (int i = 0; i < kNumResources; ++i) {
    out << (i ? ", " : " ") << to_string(static_cast<Resource>(i)) << " "
        << fixed("%.2f s", r.busy_seconds[i]);
  }
  out << "\n";
  return out.str();
}

std::string format_memory(const MemoryBreakdown& m) {
  std::ostringstream out;
  out << "peak memory per tier (largest of prefill and decode):\n";
  for (Tier tier : {Tier::kDevice, Tier::kHost, Tier::kDisk}) {
    const PlannedTierBytes& t = m.peak(tier);
    const double cap = m.capacity[static_cast<int>(tier)];
    out << "  " << pad(to_string(tier), 8) << format_gib(t.total()) << " of " << format_gib(cap) << " ("
        << fixed("%.1f%%", cap > 0 ? 100.0 * t.total() / cap : 0.0) << "): weights "
        << format_gib(t.weights) << ", KV cache " << format_gib(t.cache) << ", activations "
        << format_gib(t.activations) << ", buffers " << format_gib(t.buffers) << "\n";
  }
  return out.str();
}

std::string format_plan(const Plan& plan, const PlanInputs& in) {
  std::ostringstream out;
  out << "model " << in.model.name << ", prompt_len " << in.workload.prompt_len << ", gen_len "
      << in.workload.gen_len << ", hardware " << (in.hardware.name.empty() ? "(unnamed)" : in.hardware.name)
      << "\n";
  out << format_policy(plan.policy) << format_prediction(plan.prediction)
      << format_memory(plan.memory);
  out << "search: " << plan.lps_solved << " LPs in " << fixed("%.3f s", plan.search_seconds)
      << "\n";
  return out.str();
}

}  // namespace strata
