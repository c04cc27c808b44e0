// StoreManifest: the contents of STORE/manifest.yaml, the index of a converted weight store
// (format in docs/store.md). Plain data plus its YAML text form; offload/ knows nothing of any
// model, so the model's configuration is kept as the key/value scalars of its config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

// One tensor: its bytes are file[offset, offset + length); offset is a multiple of 4096 and the
// file is padded with zeros to the next multiple of 4096 after it.
struct StoreTensor {
  std::string name;            // canonical name ("decoder.layers.3.fc1.weight")
  std::string dtype;           // "f32", "f16", "bf16", or packed "q4g64" / "q8g128" (length
                               // checked by the engine, which knows the packed layout)
  std::vector<int64_t> shape;  // row-major
  std::string file;            // data file inside the store ("layer_003.bin")
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc32c = 0;         // of the `length` data bytes
};

// A data file and its size in bytes (a multiple of 4096).
struct StoreFile {
  std::string name;
  uint64_t bytes = 0;
};

// A file copied verbatim into the store (config.json, the tokenizer files).
struct StoreSideFile {
  std::string name;
  uint64_t length = 0;
  uint32_t crc32c = 0;
};

struct StoreManifest {
  static constexpr int kFormatVersion = 1;
  static constexpr std::string_view kFileName = "manifest.yaml";
  static constexpr std::string_view kFormatName = "strata-weight-store";

  int format_version = kFormatVersion;
  std::string quant = "none";  // none | w4g64 | w8g64 | w4gN | w8gN
  std::vector<std::pair<std::string, std::string>> model;  // config.json scalars, in order
  std::vector<StoreFile> files;
  std::vector<StoreTensor> tensors;
  std::vector<StoreSideFile> side_files;

  std::string to_yaml() const;
  // Throws InputError naming `source` (the manifest's path) and the offending field.
  static StoreManifest parse(const std::string& text, const std::string& source);
};

// Bytes per element of the dtypes whose size offload/ can check; empty for others.
std::optional<size_t> store_dtype_size(std::string_view dtype);

// Whether `quant` names a known quantization ("none", "w4g64", "w8g64", "w4g128", ...).
bool is_known_store_quant(std::string_view quant);

// "1a2b3c4d": how checksums are written in the manifest and in messages.
std::string crc_hex(uint32_t crc);

}  // namespace strata
