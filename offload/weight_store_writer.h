// WeightStoreWriter: writes a converted weight store (docs/store.md) tensor by tensor. Data
// files are written with UringFile (O_DIRECT where the file system allows), every tensor at a
// 4096-byte-aligned offset and zero-padded to the next 4096, with its CRC32C; finish() writes
// manifest.yaml and renames the whole directory into place.
//
// Atomicity: everything goes to STORE.tmp-<pid> beside STORE. Until finish() succeeds nothing
// exists under the final name; if the writer is destroyed unfinished (an error, a full disk, an
// exception) the temporary directory is removed. An existing STORE is refused unless
// Existing::replace, which swaps the new store in with one renameat2(RENAME_EXCHANGE) where
// the file system supports it (else rename old aside, rename new in) and then deletes the old.
//
// Memory: one staging AlignedBuffer, grown to the largest tensor. Single-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "offload/aligned_buffer.h"
#include "offload/store_manifest.h"
#include "offload/uring_file.h"
#include "offload/warning_once.h"

namespace strata {

struct StoreTensorSpec {
  std::string name;
  std::string dtype;  // "f32", "f16", "bf16", ...
  std::vector<int64_t> shape;
  uint64_t length = 0;  // bytes; checked against shape for dtypes of known size
};

struct WeightStoreWriterOptions {
  enum class Existing : uint8_t { refuse, replace };
  Existing existing = Existing::refuse;
  // Template for every file written (access is set by the writer). io.warn receives each
  // distinct fallback warning once, prefixed with the store's path.
  UringFileOptions io;
};

class WeightStoreWriter {
 public:
  // Throws InputError when `store` exists and options.existing is refuse, or the temporary
  // directory cannot be created.
  explicit WeightStoreWriter(std::filesystem::path store, WeightStoreWriterOptions options = {});
  ~WeightStoreWriter();  // unfinished: removes the temporary directory; never throws
  WeightStoreWriter(const WeightStoreWriter&) = delete;
  WeightStoreWriter& operator=(const WeightStoreWriter&) = delete;

  void set_model_config(std::vector<std::pair<std::string, std::string>> fields);
  void set_quant(std::string quant);  // "none" (default), "w4g64", "w8g64", "w4gN", "w8gN"

  // Appends a tensor to data file `file` (created on first use). A file's tensors are added
  // together: starting another file closes the current one, which cannot be reopened.
  void add_tensor(const std::string& file, const StoreTensorSpec& spec, const void* bytes);
  // Same, but fill(dst) writes the spec.length bytes straight into the staging buffer (saves a
  // copy when the bytes come from another file).
  void add_tensor(const std::string& file, const StoreTensorSpec& spec,
                  const std::function<void(void* dst)>& fill);
  // A file copied verbatim into the store (config.json, tokenizer files), checksummed.
  void add_side_file(const std::string& name, const std::string& contents);

  // Closes the last data file, writes manifest.yaml, fsyncs and renames into place.
  const StoreManifest& finish();

  const std::filesystem::path& store() const { return store_; }
  const std::filesystem::path& temp_dir() const { return temp_; }
  const StoreManifest& manifest() const { return manifest_; }

 private:
  void open_data_file(const std::string& file);
  void close_data_file();
  void write_small_file(const std::string& name, const std::string& contents);
  void check_new_name(const std::string& name, const char* what) const;
  void install();

  std::filesystem::path store_;
  std::filesystem::path temp_;
  WeightStoreWriterOptions options_;
  WarningOnce warnings_;
  StoreManifest manifest_;
  std::optional<UringFile> current_;  // the data file being appended to
  uint64_t current_end_ = 0;          // its size so far (a multiple of 4096)
  AlignedBuffer staging_;
  bool finished_ = false;
};

}  // namespace strata
