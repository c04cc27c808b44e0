#include "engine/executor/kv_tiers.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "offload/aligned_buffer.h"

namespace strata {

KvTiers::KvTiers(KvLayout layout, TierMemory& memory, const std::filesystem::path& offload_dir,
                 const WarningSink& warn)
    : layout_(std::move(layout)) {
  device_home_ = memory.allocate(Place::device, MemoryUse::cache, layout_.tier_bytes(Place::device));
  host_home_ = memory.allocate(Place::host, MemoryUse::cache, layout_.tier_bytes(Place::host));
  const size_t per_layer = layout_.per_layer_bytes(Place::disk);
  if (per_layer == 0) return;
  STRATA_CHECK_INPUT(!offload_dir.empty(), "the policy puts KV cache on disk: give --offload-dir");
  folder_.emplace(offload_dir);
  memory.count(Place::disk, MemoryUse::cache, layout_.tier_bytes(Place::disk));
  UringFileOptions io;
  io.access = FileAccess::update;
  io.warn = warn;
  for (int64_t j = 0; j < layout_.layers(); ++j) {
    char name[48];
    std::snprintf(name, sizeof(name), "kv_layer_%03lld.bin", static_cast<long long>(j));
    const std::filesystem::path file = folder_->preallocate(name, per_layer);
    files_.push_back({UringFile::open(file, io), UringFile::open(file, io)});
  }
}

char* KvTiers::home(int64_t j, int64_t k, Place p) const {
  STRATA_CHECK(p != Place::disk, "disk regions have no address");
  const MemoryBlock& arena = p == Place::device ? device_home_ : host_home_;
  return arena.data<char>() + layout_.region_offset(j, k, p);
}

std::vector<IoRequest> KvTiers::requests(int64_t j, int64_t k, std::span<const int64_t> rows,
                                         uint64_t begin, uint64_t end,
                                         const char* staging) const {
  const KvRows& disk = layout_.rows(k, Place::disk);
  const uint64_t seq = layout_.seq_bytes();
  const uint64_t base = layout_.region_offset(j, k, Place::disk);
  std::vector<IoRequest> out;
  for (int64_t row : rows) {
    STRATA_CHECK(disk.contains(row), "row ", row, " of micro-batch ", k, " is not on disk");
    const uint64_t r = uint64_t(row - disk.first);
    for (uint64_t at : {r * seq, (uint64_t(disk.count) + r) * seq}) {  // its K, then its V
      IoRequest q;
      q.data = const_cast<char*>(staging) + at + begin;
      q.offset = base + at + begin;
      q.length = end - begin;
      out.push_back(q);
    }
  }
  return out;
}

uint64_t KvTiers::read_disk(int64_t j, int64_t k, std::span<const int64_t> rows, int64_t filled,
                            char* staging) {
  const uint64_t end = std::min<uint64_t>(
      AlignedBuffer::round_up(size_t(filled) * layout_.row_bytes()), layout_.seq_bytes());
  if (rows.empty() || end == 0) return 0;
  std::vector<IoRequest> batch = requests(j, k, rows, 0, end, staging);
  UringFile& file = files_[size_t(j)].reader;
  if (file.read_many(batch) > 0) file.throw_if_failed(batch, IoDirection::read);
  return uint64_t(batch.size()) * end;
}

uint64_t KvTiers::write_disk(int64_t j, int64_t k, std::span<const int64_t> rows, int64_t first,
                             int64_t count, const char* staging) {
  const size_t block = AlignedBuffer::kAlignment;
  const uint64_t begin = size_t(first) * layout_.row_bytes() / block * block;
  const uint64_t end = std::min<uint64_t>(
      AlignedBuffer::round_up(size_t(first + count) * layout_.row_bytes()), layout_.seq_bytes());
  if (rows.empty() || end <= begin) return 0;
  std::vector<IoRequest> batch = requests(j, k, rows, begin, end, staging);
  UringFile& file = files_[size_t(j)].writer;
  if (file.write_many(batch) > 0) file.throw_if_failed(batch, IoDirection::write);
  return uint64_t(batch.size()) * (end - begin);
}

}  // namespace strata
