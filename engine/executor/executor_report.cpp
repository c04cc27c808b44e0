#include "engine/executor/executor_report.h"

#include <cstdio>

namespace strata {
namespace {

std::string seconds_and_mib(const char* what, double s, uint64_t bytes) {
  char text[96];
  std::snprintf(text, sizeof(text), "%s %.3f s (%.1f MiB)", what, s, double(bytes) / (1 << 20));
  return text;
}

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", double(bytes) / (1 << 20));
  return text;
}

}  // namespace

ResourceTimes& ResourceTimes::operator+=(const ResourceTimes& o) {
  disk_read += o.disk_read;
  disk_write += o.disk_write;
  copy_h2d += o.copy_h2d;
  copy_d2h += o.copy_d2h;
  compute += o.compute;
  wait += o.wait;
  return *this;
}

TransferBytes& TransferBytes::operator+=(const TransferBytes& o) {
  disk_read += o.disk_read;
  disk_write += o.disk_write;
  h2d += o.h2d;
  d2h += o.d2h;
  return *this;
}

std::string ExecutorReport::summary() const {
  char compute[96];
  std::snprintf(compute, sizeof(compute), "compute %.3f s, waiting %.3f s", times.compute,
                times.wait);
  std::string out = "executor: " + seconds_and_mib("disk read", times.disk_read, bytes.disk_read) +
                    ", " + seconds_and_mib("disk write", times.disk_write, bytes.disk_write) +
                    ", " + seconds_and_mib("host->device", times.copy_h2d, bytes.h2d) + ", " +
                    seconds_and_mib("device->host", times.copy_d2h, bytes.d2h) + ", " + compute +
                    "; of which KV cache: disk read " + mib(kv_bytes.disk_read) + ", disk write " +
                    mib(kv_bytes.disk_write) + ", host->device " + mib(kv_bytes.h2d) +
                    ", device->host " + mib(kv_bytes.d2h) + "; placed";
  for (Place p : {Place::device, Place::host, Place::disk}) {
    const TierUsage& u = placed[p];
    out += std::string(" ") + to_string(p) + " " + mib(u.total()) + " (weights " + mib(u.weights) +
           ", cache " + mib(u.cache) + ", activations " + mib(u.activations) + ", buffers " +
           mib(u.buffers) + ")";
  }
  return out;
}

}  // namespace strata
