// WeightStore: a converted weight store opened for reading (format: docs/store.md). Parses and
// checks manifest.yaml and the data files' sizes on open; reads a tensor, or a byte range of it
// (a row range of a matrix), through UringFile; verifies every checksum on demand.
//
// Memory seam: read_into() takes the destination as a plain pointer, so the caller decides
// what memory a layer lands in (an AlignedBuffer here; pinned host memory from the CUDA side
// later). With a 4096-aligned destination and a 4096-aligned begin, a read is one zero-copy
// O_DIRECT transfer; otherwise UringFile bounces the unaligned edges.
//
// Data files are opened lazily, each with its own UringFile. Not thread-safe: one thread
// (the executor's disk thread) reads a store at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "offload/aligned_buffer.h"
#include "offload/store_manifest.h"
#include "offload/uring_file.h"
#include "offload/warning_once.h"

namespace strata {

// One thing wrong in a store, found by verify().
struct StoreProblem {
  std::string file;    // path of the file at fault ("STORE/layer_003.bin")
  std::string tensor;  // tensor name, empty for a whole-file problem
  std::string what;    // "checksum mismatch (stored 1a2b3c4d, computed 5e6f7a8b)"
  // "STORE/layer_003.bin: tensor decoder.layers.3.fc1.weight: checksum mismatch (...)"
  std::string line() const;
};

struct StoreVerifyReport {
  size_t tensors_checked = 0;
  size_t side_files_checked = 0;
  uint64_t bytes_checked = 0;
  std::vector<StoreProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct WeightStoreOptions {
  // Template for every data file (access is set to read). io.warn receives each distinct
  // fallback warning once, prefixed with the store's path.
  UringFileOptions io;
  size_t verify_slice_bytes = 16u << 20;  // verify() reads tensors in slices of this size
  // open() checks the side files' CRC32C and refuses a store whose side file changed; off only
  // for verify(), which reports every problem instead of the first.
  bool check_side_files = true;
};

class WeightStore {
 public:
  // Throws InputError naming the file and field: no manifest, bad YAML, a missing field, a data
  // file missing or shorter than a tensor it holds, tensors overlapping in a file.
  static WeightStore open(const std::filesystem::path& dir, WeightStoreOptions options = {});

  const std::filesystem::path& dir() const { return dir_; }
  const StoreManifest& manifest() const { return manifest_; }
  const std::vector<StoreTensor>& tensors() const { return manifest_.tensors; }
  const StoreTensor* find(const std::string& name) const;
  const StoreTensor& require(const std::string& name) const;  // InputError when absent
  std::filesystem::path path_of(const std::string& file) const { return dir_ / file; }

  // Bytes [begin, begin + length) of tensor t into dst (length bytes; any host memory).
  // Throws Error for a range outside the tensor, IoError when the read fails.
  void read_into(const StoreTensor& t, uint64_t begin, uint64_t length, void* dst);
  // Ranges of tensor t, each [begin, begin + length) into dst + begin, as one batch of reads
  // (a step's few rows of a table: their requests are in flight together, not one at a time).
  // Throws like read_into, for the first range that failed.
  struct Range {
    uint64_t begin = 0, length = 0;
  };
  void read_ranges_into(const StoreTensor& t, std::span<const Range> ranges, char* dst);
  // Bytes [offset, offset + length) of a data file: a whole layer is one such read.
  void read_file_range(const std::string& file, uint64_t offset, uint64_t length, void* dst);
  AlignedBuffer read(const std::string& name);  // the whole tensor
  AlignedBuffer read_range(const std::string& name, uint64_t begin, uint64_t length);

  // Reads every tensor and side file and compares CRC32C; I/O failures are reported as
  // problems too. progress (optional) is called after each tensor.
  StoreVerifyReport verify(const std::function<void(const StoreTensor&)>& progress = {});

 private:
  UringFile& data_file(const std::string& file);
  void verify_tensor(const StoreTensor& t, AlignedBuffer& slice, StoreVerifyReport& report);
  void verify_side_file(const StoreSideFile& f, StoreVerifyReport& report);

  std::filesystem::path dir_;
  WeightStoreOptions options_;
  StoreManifest manifest_;
  std::map<std::string, size_t> index_;  // tensor name -> position in manifest_.tensors
  std::map<std::string, UringFile> open_files_;
  WarningOnce warnings_{{}, {}};
};

}  // namespace strata
