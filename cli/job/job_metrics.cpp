#include "cli/job/job_metrics.h"

#include <sys/resource.h>

#include <cstdio>

#include "cli/job/atomic_file.h"

namespace strata::cli {
namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

int64_t peak_host_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace

nlohmann::ordered_json JobMetrics::to_json() const {
  const double gen_seconds = stats.prefill_seconds + stats.decode_seconds;
  nlohmann::ordered_json j;
  j["requests"] = requests;
  j["resumed_requests"] = resumed;
  j["failed_requests"] = failed;
  j["prompt_tokens"] = stats.prompt_tokens;
  j["padded_prompt_tokens"] = stats.padded_tokens;
  // Real prompt tokens / prompt slots with padding; null when this run prefilled nothing (every
  // request was resumed from the journal or failed).
  j["padding_efficiency"] = stats.padded_tokens > 0
                                ? nlohmann::ordered_json(double(stats.prompt_tokens) /
                                                         double(stats.padded_tokens))
                                : nlohmann::ordered_json(nullptr);
  j["generated_tokens"] = stats.generated_tokens;
  j["throughput_tokens_per_s"] = {
      {"prefill", ratio(double(stats.prompt_tokens), stats.prefill_seconds)},
      {"decode", ratio(double(stats.generated_tokens - sequences), stats.decode_seconds)},
      {"total", ratio(double(stats.generated_tokens), gen_seconds)}};
  // Only compute is a separate resource until the offloading executor lands; its I/O queues
  // (disk read/write, copies, waiting) will be reported here too.
  j["time_per_resource_s"] = {{"prefill_compute", stats.prefill_seconds},
                              {"decode_compute", stats.decode_seconds}};
  j["wall_seconds"] = wall_seconds;
  j["planner_prediction"] = nullptr;
  j["peak_memory_bytes"] = {{"host", peak_host_bytes()}};
  return j;
}

std::string JobMetrics::summary_line() const {
  const auto j = to_json();
  char padding[32] = "n/a";
  if (j["padding_efficiency"].is_number()) {
    std::snprintf(padding, sizeof padding, "%.0f%%", 100.0 * j["padding_efficiency"].get<double>());
  }
  char line[400];
  std::snprintf(line, sizeof line,
                "strata: %lld requests (%lld resumed, %lld failed), %lld tokens generated in "
                "%.1f s; throughput prefill %.1f, decode %.1f, total %.1f tokens/s; "
                "padding efficiency %s",
                static_cast<long long>(requests), static_cast<long long>(resumed),
                static_cast<long long>(failed), static_cast<long long>(stats.generated_tokens),
                wall_seconds, j["throughput_tokens_per_s"]["prefill"].get<double>(),
                j["throughput_tokens_per_s"]["decode"].get<double>(),
                j["throughput_tokens_per_s"]["total"].get<double>(), padding);
  return line;
}

void JobMetrics::write(const std::filesystem::path& path) const {
  AtomicFile file(path);
  file.stream() << to_json().dump(2) << "\n";
  file.commit();
}

}  // namespace strata::cli
