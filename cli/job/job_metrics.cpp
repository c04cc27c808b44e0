#include "cli/job/job_metrics.h"

#include <sys/resource.h>

#include <cstdio>

#include "common/atomic_file.h"

namespace strata::cli {
namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

int64_t peak_host_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

// The offloading executor's own figures: each worker's busy time, the bytes each path moved,
// and the bytes placed on each tier by use (the largest block's: the per-tier peak).
void add_executor_figures(nlohmann::ordered_json& j, const ExecutorReport& r) {
  j["time_per_resource_s"].update({{"disk_read", r.times.disk_read},
                                   {"disk_write", r.times.disk_write},
                                   {"host_to_device", r.times.copy_h2d},
                                   {"device_to_host", r.times.copy_d2h},
                                   {"compute", r.times.compute},
                                   {"waiting_for_transfers", r.times.wait}});
  j["bytes_moved"] = {{"disk_read", r.bytes.disk_read}, {"disk_write", r.bytes.disk_write},
                      {"host_to_device", r.bytes.h2d}, {"device_to_host", r.bytes.d2h}};
  j["kv_bytes_moved"] = {{"disk_read", r.kv_bytes.disk_read},
                         {"disk_write", r.kv_bytes.disk_write},
                         {"host_to_device", r.kv_bytes.h2d},
                         {"device_to_host", r.kv_bytes.d2h}};
  // Per tier: what the executor placed there (the process RSS stays under "process_rss").
  nlohmann::ordered_json& peak = j["peak_memory_bytes"];
  peak["process_rss"] = peak["host"];
  for (const Place tier : {Place::device, Place::host, Place::disk}) {
    const TierUsage& u = r.placed[tier];
    peak[to_string(tier)] = u.total();
    j["placed_bytes_by_use"][to_string(tier)] = {{"weights", u.weights},
                                                 {"kv_cache", u.cache},
                                                 {"activations", u.activations},
                                                 {"buffers", u.buffers}};
  }
}

}  // namespace

nlohmann::ordered_json JobMetrics::to_json() const {
  const double gen_seconds = stats.prefill_seconds + stats.decode_seconds;
  nlohmann::ordered_json j;
  j["strata_version"] = STRATA_VERSION;
  j["job"] = job;
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
  j["time_per_resource_s"] = {{"prefill_compute", stats.prefill_seconds},
                              {"decode_compute", stats.decode_seconds}};
  j["wall_seconds"] = wall_seconds;
  j["policy"] = policy;
  j["planner_prediction"] = planner_prediction;
  j["peak_memory_bytes"] = {{"host", peak_host_bytes()}};  // the process's peak RSS
  if (executor) add_executor_figures(j, *executor);
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
  AtomicFile file(path, "--metrics");
  file.stream() << to_json().dump(2) << "\n";
  file.commit();
}

}  // namespace strata::cli
