#include "engine/io/safetensors_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/json_guard.h"

namespace strata {
namespace {

// A header larger than this is not a real checkpoint's (they are a few hundred KiB at most).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

size_t byte_width(const std::string& dtype_name) {
  static const std::map<std::string, size_t> widths = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
      {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"U16", 2},
      {"U32", 4}, {"U64", 8}};
  const auto it = widths.find(dtype_name);
  return it == widths.end() ? 0 : it->second;
}

void pread_exact(int fd, void* dst, uint64_t nbytes, uint64_t offset,
                 const std::filesystem::path& path, const std::string& what) {
  auto* out = static_cast<char*>(dst);
  uint64_t done = 0;
  while (done < nbytes) {
    const ssize_t got = ::pread(fd, out + done, nbytes - done, off_t(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail_input(path.string(), ": reading ", what, ": ", std::strerror(errno));
    if (got == 0) fail_input(path.string(), ": file ends while reading ", what, " (truncated?)");
    done += uint64_t(got);
  }
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& j,
                             uint64_t data_start, uint64_t file_size,
                             const std::filesystem::path& path) {
  const std::string where = path.string() + ": tensor " + name;
  STRATA_CHECK_INPUT(j.is_object(), where, ": header entry is not an object");
  STRATA_CHECK_INPUT(j.contains("dtype") && j["dtype"].is_string(), where, ": missing dtype");
  STRATA_CHECK_INPUT(j.contains("shape") && j["shape"].is_array(), where, ": missing shape");
  STRATA_CHECK_INPUT(j.contains("data_offsets") && j["data_offsets"].is_array() &&
                         j["data_offsets"].size() == 2,
                     where, ": missing data_offsets [begin, end]");
  SafetensorsEntry e;
  e.dtype_name = j["dtype"].get<std::string>();
  e.dtype = dtype_from_safetensors(e.dtype_name);
  const size_t width = byte_width(e.dtype_name);
  STRATA_CHECK_INPUT(width != 0, where, ": unknown dtype '", e.dtype_name, "'");
  uint64_t numel = 1;
  for (const auto& d : j["shape"]) {
    STRATA_CHECK_INPUT(d.is_number_unsigned(), where, ": shape holds a non-integer or negative");
    const uint64_t dim = d.get<uint64_t>();
    // A byte count past 2^63 cannot be in any file; refusing it also keeps numel from wrapping.
    STRATA_CHECK_INPUT(dim <= uint64_t(INT64_MAX) && (dim == 0 || numel <= uint64_t(INT64_MAX) / dim),
                       where, ": shape's element count overflows 64 bits");
    e.shape.push_back(int64_t(dim));
    numel *= dim;
  }
  STRATA_CHECK_INPUT(numel <= uint64_t(INT64_MAX) / width, where,
                     ": shape's byte count overflows 64 bits");
  const auto& offs = j["data_offsets"];
  STRATA_CHECK_INPUT(offs[0].is_number_unsigned() && offs[1].is_number_unsigned(), where,
                     ": data_offsets are not non-negative integers");
  const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
  STRATA_CHECK_INPUT(begin <= end, where, ": data_offsets end ", end, " before begin ", begin);
  e.nbytes = end - begin;
  STRATA_CHECK_INPUT(e.nbytes == numel * width, where, ": ", e.nbytes, " bytes for shape of ",
                     numel, " ", e.dtype_name, " elements (", numel * width, " bytes expected)");
  e.file_offset = data_start + begin;
  STRATA_CHECK_INPUT(data_start + end <= file_size, where, ": data ends at byte ",
                     data_start + end, " but the file has ", file_size,
                     " bytes (truncated file?)");
  return e;
}

// Two tensors sharing bytes would silently alias each other's weights (a crafted or corrupted
// header): the safetensors format lays tensors out disjointly, so any overlap is refused.
void check_disjoint(const std::map<std::string, SafetensorsEntry>& entries,
                    const std::filesystem::path& path) {
  std::vector<std::pair<const std::string*, const SafetensorsEntry*>> by_offset;
  for (const auto& [name, e] : entries) {
    if (e.nbytes > 0) by_offset.emplace_back(&name, &e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const auto& a, const auto& b) {
    return a.second->file_offset < b.second->file_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto& [prev_name, prev] = by_offset[i - 1];
    const auto& [name, e] = by_offset[i];
    STRATA_CHECK_INPUT(prev->file_offset + prev->nbytes <= e->file_offset, path.string(),
                       ": tensor ", *name, ": data_offsets overlap tensor ", *prev_name);
  }
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile file;
  file.path_ = path;
  file.fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd_.valid()) fail_input(path.string(), ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    fail_input(path.string(), ": not a regular file");
  }
  const uint64_t file_size = uint64_t(st.st_size);
  STRATA_CHECK_INPUT(file_size >= 8, path.string(), ": ", file_size,
                     " bytes is too short for a safetensors file (truncated?)");
  unsigned char len_bytes[8];
  pread_exact(file.fd_.get(), len_bytes, 8, 0, path, "the header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  STRATA_CHECK_INPUT(header_len <= kMaxHeaderBytes && 8 + header_len <= file_size,
                     path.string(), ": bad safetensors header: its length ", header_len,
                     " exceeds the file's ", file_size, " bytes");
  std::string header(header_len, '\0');
  pread_exact(file.fd_.get(), header.data(), header_len, 8, path, "the header");
  check_json_depth(header, path.string() + ": safetensors header");
  nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  STRATA_CHECK_INPUT(j.is_object(), path.string(),
                     ": bad safetensors header: not a JSON object");
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") continue;
    file.entries_.emplace(name, parse_entry(name, value, 8 + header_len, file_size, path));
  }
  check_disjoint(file.entries_, path);
  return file;
}

void SafetensorsFile::read(const std::string& name, const SafetensorsEntry& entry,
                           void* dst) const {
  pread_exact(fd_.get(), dst, entry.nbytes, entry.file_offset, path_, "tensor " + name);
}

void SafetensorsFile::read_range(const std::string& name, const SafetensorsEntry& entry,
                                 uint64_t begin, uint64_t length, void* dst) const {
  STRATA_CHECK(begin + length <= entry.nbytes, "bytes [", begin, ", ", begin + length,
               ") of tensor ", name, " of ", entry.nbytes);
  pread_exact(fd_.get(), dst, length, entry.file_offset + begin, path_, "tensor " + name);
}

}  // namespace strata
