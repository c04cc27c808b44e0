#include "offload/weight_store.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every data file exists and holds every tensor it is said to hold, without overlaps.
void check_layout(const fs::path& dir, const StoreManifest& m, const std::string& manifest_path) {
  for (size_t i = 0; i < m.files.size(); ++i) {
    const fs::path path = dir / m.files[i].name;
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    STRATA_CHECK_INPUT(!ec, path.string(), ": cannot read the data file listed as files[", i,
                       "] of ", manifest_path, " (", ec.message(), ")");
    std::vector<const StoreTensor*> held;
    for (const StoreTensor& t : m.tensors) {
      if (t.file == m.files[i].name) held.push_back(&t);
    }
    std::sort(held.begin(), held.end(),
              [](const StoreTensor* a, const StoreTensor* b) { return a->offset < b->offset; });
    uint64_t end = 0;
    const StoreTensor* previous = nullptr;
    for (const StoreTensor* t : held) {
      STRATA_CHECK_INPUT(t->offset >= end, manifest_path, ": tensors ", previous->name, " and ",
                         t->name, " overlap in ", m.files[i].name);
      end = t->offset + t->length;
      STRATA_CHECK_INPUT(end <= size, path.string(), ": ", size,
                         " bytes, shorter than tensor ", t->name, " needs (offset ", t->offset,
                         " + length ", t->length, " = ", end, "); the store is truncated");
      previous = t;
    }
  }
}

}  // namespace

std::string StoreProblem::line() const {
  return tensor.empty() ? str_cat(file, ": ", what) : str_cat(file, ": tensor ", tensor, ": ", what);
}

WeightStore WeightStore::open(const fs::path& dir, WeightStoreOptions options) {
  std::error_code ec;
  STRATA_CHECK_INPUT(fs::is_directory(dir, ec), dir.string(),
                     ": not a directory (expected a store written by strata convert)");
  const fs::path manifest_path = dir / std::string(StoreManifest::kFileName);
  STRATA_CHECK_INPUT(fs::is_regular_file(manifest_path, ec), manifest_path.string(),
                     ": missing (is ", dir.string(), " a store written by strata convert?)");
  WeightStore s;
  s.dir_ = dir;
  s.options_ = std::move(options);
  STRATA_CHECK(s.options_.verify_slice_bytes >= 4096 && s.options_.verify_slice_bytes % 4096 == 0,
               "verify_slice_bytes ", s.options_.verify_slice_bytes,
               " must be a positive multiple of 4096");
  s.manifest_ = StoreManifest::parse(read_text(manifest_path), manifest_path.string());
  check_layout(dir, s.manifest_, manifest_path.string());
  for (size_t i = 0; i < s.manifest_.tensors.size(); ++i) s.index_[s.manifest_.tensors[i].name] = i;
  s.warnings_ = WarningOnce(s.options_.io.warn, dir.string());
  // The side files (config.json, the tokenizer's files) are small and decide what the weights
  // mean: checked on every open, so an edited one is refused instead of giving other text.
  StoreVerifyReport sides;
  if (s.options_.check_side_files) {
    for (const StoreSideFile& f : s.manifest_.side_files) s.verify_side_file(f, sides);
  }
  if (!sides.ok()) {
    fail_input(sides.problems.front().line(), "; the store changed after strata convert wrote "
               "it: convert the model again");
  }
  return s;
}

const StoreTensor* WeightStore::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &manifest_.tensors[it->second];
}

const StoreTensor& WeightStore::require(const std::string& name) const {
  const StoreTensor* t = find(name);
  if (t == nullptr) {
    fail_input((dir_ / std::string(StoreManifest::kFileName)).string(), ": tensor ", name,
               " is missing");
  }
  return *t;
}

UringFile& WeightStore::data_file(const std::string& file) {
  const auto it = open_files_.find(file);
  if (it != open_files_.end()) return it->second;
  UringFileOptions io = options_.io;
  io.access = FileAccess::read;
  const fs::path path = dir_ / file;
  io.warn = warnings_.sink_for(path.string());
  return open_files_.emplace(file, UringFile::open(path, std::move(io))).first->second;
}

void WeightStore::read_file_range(const std::string& file, uint64_t offset, uint64_t length,
                                  void* dst) {
  data_file(file).read(dst, offset, length);
}

void WeightStore::read_into(const StoreTensor& t, uint64_t begin, uint64_t length, void* dst) {
  STRATA_CHECK(begin <= t.length && length <= t.length - begin, "tensor ", t.name, ": range [",
               begin, ", ", begin + length, ") is outside its ", t.length, " bytes");
  try {
    data_file(t.file).read(dst, t.offset + begin, length);
  } catch (const IoError& e) {
    throw e.with_context("reading tensor " + t.name);
  }
}

void WeightStore::read_ranges_into(const StoreTensor& t, std::span<const Range> ranges,
                                   char* dst) {
  std::vector<IoRequest> requests;
  requests.reserve(ranges.size());
  for (const Range& r : ranges) {
    STRATA_CHECK(r.begin <= t.length && r.length <= t.length - r.begin, "tensor ", t.name,
                 ": range [", r.begin, ", ", r.begin + r.length, ") is outside its ", t.length,
                 " bytes");
    requests.push_back({dst + r.begin, t.offset + r.begin, size_t(r.length), {}});
  }
  UringFile& file = data_file(t.file);
  try {
    file.read_many(requests);
    file.throw_if_failed(requests, IoDirection::read);
  } catch (const IoError& e) {
    throw e.with_context("reading tensor " + t.name);
  }
}

AlignedBuffer WeightStore::read(const std::string& name) {
  const StoreTensor& t = require(name);
  AlignedBuffer buffer(t.length);
  read_into(t, 0, t.length, buffer.data());
  return buffer;
}

AlignedBuffer WeightStore::read_range(const std::string& name, uint64_t begin, uint64_t length) {
  const StoreTensor& t = require(name);
  AlignedBuffer buffer(length);
  read_into(t, begin, length, buffer.data());
  return buffer;
}

}  // namespace strata
