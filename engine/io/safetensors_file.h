// SafetensorsFile: the validated header of one .safetensors file and positioned reads of its
// tensors. Format: 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__"?}, then the data;
// offsets are relative to the first byte after the header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/dtype.h"
#include "offload/unique_fd.h"

namespace strata {

struct SafetensorsEntry {
  std::string dtype_name;         // as written in the header ("F16", "F64", ...)
  std::optional<DType> dtype;     // empty when Strata cannot compute with this dtype
  std::vector<int64_t> shape;
  uint64_t file_offset = 0;       // absolute offset of the first byte in the file
  uint64_t nbytes = 0;
};

class SafetensorsFile {
 public:
  // Parses and validates the header: every entry's byte range must be consistent with its dtype
  // and shape and lie inside the file. Throws InputError naming the file (and tensor).
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }

  // Reads a tensor's bytes into dst (entry.nbytes bytes). Throws InputError on a short read.
  void read(const std::string& name, const SafetensorsEntry& entry, void* dst) const;
  // Bytes [begin, begin + length) of a tensor (a row range of a matrix) into dst.
  void read_range(const std::string& name, const SafetensorsEntry& entry, uint64_t begin,
                  uint64_t length, void* dst) const;

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  std::map<std::string, SafetensorsEntry> entries_;
};

}  // namespace strata
