#include "engine/executor/tier_memory.h"

#include <cstdio>

#include "common/error.h"

namespace strata {
namespace {

std::string gib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f GiB", double(bytes) / double(1ull << 30));
  return text;
}

std::optional<uint64_t> capacity_of(const TierCapacities& c, Place p) {
  switch (p) {
    case Place::device: return c.device;
    case Place::host: return c.host;
    case Place::disk: return c.disk;
  }
  return std::nullopt;
}

}  // namespace

uint64_t& TierUsage::operator[](MemoryUse use) {
  switch (use) {
    case MemoryUse::weights: return weights;
    case MemoryUse::cache: return cache;
    case MemoryUse::activations: return activations;
    case MemoryUse::buffers: return buffers;
  }
  return buffers;
}

const char* to_string(Place place) {
  switch (place) {
    case Place::device: return "device";
    case Place::host: return "host";
    case Place::disk: return "disk";
  }
  return "?";
}

const char* to_string(MemoryUse use) {
  switch (use) {
    case MemoryUse::weights: return "weights";
    case MemoryUse::cache: return "cache";
    case MemoryUse::activations: return "activations";
    case MemoryUse::buffers: return "buffers";
  }
  return "?";
}

std::string capacity_problems(const TierBytes& need, const TierCapacities& capacities) {
  std::string out;
  for (Place p : {Place::device, Place::host, Place::disk}) {
    const std::optional<uint64_t> cap = capacity_of(capacities, p);
    const TierUsage& u = need[p];
    if (!cap || u.total() <= *cap) continue;
    if (!out.empty()) out += "; ";
    out += str_cat(to_string(p), " needs ", gib(u.total()), " (", u.total(), " bytes: weights ",
                   gib(u.weights), ", cache ", gib(u.cache), ", activations ", gib(u.activations),
                   ", buffers ", gib(u.buffers), ") but has ", gib(*cap), " (", *cap, " bytes)");
  }
  return out;
}

MemoryBlock TierMemory::allocate(Place place, MemoryUse use, size_t bytes) {
  STRATA_CHECK(place != Place::disk, "disk bytes are counted, not allocated");
  const std::optional<uint64_t> cap = capacity_of(capacities_, place);
  const uint64_t after = used_[place].total() + bytes;
  STRATA_CHECK(!cap || after <= *cap, to_string(place), " memory exhausted: ", after,
               " bytes needed, capacity ", *cap);
  used_.add(place, use, bytes);
  return place == Place::device ? device_->allocate_device(bytes) : device_->allocate_host(bytes);
}

}  // namespace strata
