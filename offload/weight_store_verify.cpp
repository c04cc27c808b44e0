// WeightStore::verify: every data file's size, every tensor's and side file's CRC32C.
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "offload/crc32c.h"
#include "offload/weight_store.h"

namespace strata {

StoreVerifyReport WeightStore::verify(const std::function<void(const StoreTensor&)>& progress) {
  StoreVerifyReport report;
  for (const StoreFile& f : manifest_.files) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path_of(f.name), ec);
    if (ec) {
      report.problems.push_back({path_of(f.name).string(), "", "cannot read: " + ec.message()});
    } else if (size != f.bytes) {
      report.problems.push_back({path_of(f.name).string(), "",
                                 str_cat("size ", size, " bytes, manifest says ", f.bytes)});
    }
  }
  AlignedBuffer slice(options_.verify_slice_bytes);
  for (const StoreTensor& t : manifest_.tensors) {
    verify_tensor(t, slice, report);
    if (progress) progress(t);
  }
  for (const StoreSideFile& f : manifest_.side_files) verify_side_file(f, report);
  return report;
}

// Reads the tensor slice by slice (bounded memory for any tensor size), extending the CRC.
void WeightStore::verify_tensor(const StoreTensor& t, AlignedBuffer& slice,
                                StoreVerifyReport& report) {
  const std::string file = path_of(t.file).string();
  uint32_t crc = 0;
  for (uint64_t done = 0; done < t.length;) {
    const uint64_t n = std::min<uint64_t>(slice.size(), t.length - done);
    try {
      read_into(t, done, n, slice.data());
    } catch (const IoError& e) {
      report.problems.push_back({file, t.name, str_cat("read failed: ", e.what())});
      return;
    }
    crc = crc32c(slice.data(), n, crc);
    done += n;
  }
  ++report.tensors_checked;
  report.bytes_checked += t.length;
  if (crc != t.crc32c) {
    report.problems.push_back({file, t.name, str_cat("checksum mismatch (manifest ",
                                                     crc_hex(t.crc32c), ", data ", crc_hex(crc),
                                                     ")")});
  }
}

void WeightStore::verify_side_file(const StoreSideFile& f, StoreVerifyReport& report) {
  const std::string path = path_of(f.name).string();
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    report.problems.push_back({path, "", "side file is missing"});
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  ++report.side_files_checked;
  report.bytes_checked += bytes.size();
  if (bytes.size() != f.length) {
    report.problems.push_back(
        {path, "", str_cat("size ", bytes.size(), " bytes, manifest says ", f.length)});
  } else if (const uint32_t crc = crc32c(bytes.data(), bytes.size()); crc != f.crc32c) {
    report.problems.push_back({path, "", str_cat("checksum mismatch (manifest ", crc_hex(f.crc32c),
                                                 ", data ", crc_hex(crc), ")")});
  }
}

}  // namespace strata
