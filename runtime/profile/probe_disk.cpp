#include "runtime/profile/probe_disk.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <span>
#include <stop_token>
#include <string>
#include <thread>

#include "runtime/profile/probe_rates.h"
#include "offload/uring_file.h"

namespace strata {

ProbeFile::~ProbeFile() {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove(path, ec);
}

DiskRates disk_rates(const ProbeOptions& o, DeviceMemory& memory, ProbeFile& file) {
  const size_t chunk = size_t(4) << 20;
  const size_t total = std::max(chunk, o.disk_bytes / chunk * chunk);
  file.buffer = memory.allocate_host(total);
  std::memset(file.buffer.data(), 0x5a, total);
  file.requests.resize(total / chunk);
  for (size_t i = 0; i < file.requests.size(); ++i) {
    file.requests[i].data = file.buffer.data<char>() + i * chunk;
    file.requests[i].offset = i * chunk;
    file.requests[i].length = chunk;
  }
  std::vector<IoRequest>& requests = file.requests;
  DiskRates r;
  UringFileOptions wo;
  wo.access = FileAccess::create;
  wo.warn = [&](const std::string&) { r.direct = false; };
  UringFile writer = UringFile::open(file.path, wo);
  r.write = double(total) / typical_seconds(2, [&] {
              writer.write_many(requests);
              writer.throw_if_failed(requests, IoDirection::write);
              writer.sync();
            });
  UringFileOptions ro;
  ro.warn = wo.warn;
  UringFile reader = UringFile::open(file.path, ro);
  r.read = double(total) / typical_seconds(3, [&] {
             reader.read_many(requests);
             reader.throw_if_failed(requests, IoDirection::read);
           });
  return r;
}

double io_compute_share(Backend& be, const ProbeShapes& shapes, ProbeFile& file) {
  F16Product product(be, shapes.prefill_m, shapes.prefill_n, shapes.prefill_k, 6);
  const auto work = [&] {
    for (int i = 0; i < shapes.io_share_products; ++i) product.run();
    be.memory().finish(CopyQueue::compute);
  };
  const double alone = typical_seconds(2, work);

  std::exception_ptr failure;
  double together = 0;
  {
    // jthread: its destructor stops and joins the reader, also when `work` throws.
    std::jthread reader([&](std::stop_token stop) {
      try {
        UringFile f = UringFile::open(file.path, UringFileOptions{});
        // A few requests per call, so the reads never pause for long between calls.
        const size_t per_call = std::min<size_t>(4, file.requests.size());
        const size_t starts = file.requests.size() - per_call + 1;
        for (size_t at = 0; !stop.stop_requested(); at = (at + per_call) % starts) {
          const std::span<IoRequest> some(file.requests.data() + at, per_call);
          f.read_many(some);
          f.throw_if_failed(some, IoDirection::read);
        }
      } catch (...) {
        failure = std::current_exception();
      }
    });
    together = typical_seconds(2, work);
  }
  if (failure) std::rethrow_exception(failure);
  return std::clamp((together - alone) / together, 0.0, 1.0);
}

}  // namespace strata
