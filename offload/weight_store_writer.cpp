#include "offload/weight_store_writer.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc 2.28)
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/dead_leftovers.h"
#include "common/error.h"
#include "offload/crc32c.h"
#include "offload/unique_fd.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// fsync of a directory makes the names created or renamed inside it durable.
void sync_directory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    const int error = errno;
    throw IoError(str_cat(dir.string(), ": fsync of the directory failed: ", std::strerror(error)),
                  dir.string(), 0, 0, error);
  }
}

// A directory that --force may replace: a store (it has a manifest) or an empty directory.
// Anything else is refused, so a mistyped --out never deletes unrelated data.
bool replaceable(const fs::path& store) {
  std::error_code ec;
  if (!fs::is_directory(store, ec)) return false;
  return fs::exists(store / std::string(StoreManifest::kFileName), ec) || fs::is_empty(store, ec);
}

}  // namespace

WeightStoreWriter::WeightStoreWriter(fs::path store, WeightStoreWriterOptions options)
    : store_(store.filename().empty() ? store.parent_path() : std::move(store)),
      options_(std::move(options)),
      warnings_(options_.io.warn, store_.string()) {
  // Half-written copies of this store by killed runs on this host.
  remove_dead_leftovers(store_.parent_path(), store_.filename().string() + ".tmp-");
  temp_ = store_.parent_path() / (store_.filename().string() + ".tmp-" + process_tag());
  std::error_code ec;
  if (fs::exists(store_, ec)) {
    STRATA_CHECK_INPUT(options_.existing == WeightStoreWriterOptions::Existing::replace,
                       store_.string(), ": already exists; not replacing it");
    STRATA_CHECK_INPUT(replaceable(store_), store_.string(),
                       ": exists and is not a Strata store (no ", StoreManifest::kFileName,
                       ") nor an empty directory; not replacing it");
  }
  fs::remove_all(temp_, ec);  // left over by an earlier process that had our pid
  fs::create_directories(temp_, ec);
  STRATA_CHECK_INPUT(!ec, temp_.string(), ": cannot create the store's temporary directory: ",
                     ec.message());
}

WeightStoreWriter::~WeightStoreWriter() {
  current_.reset();
  if (!finished_) {
    std::error_code ignored;
    fs::remove_all(temp_, ignored);
  }
}

void WeightStoreWriter::set_model_config(std::vector<std::pair<std::string, std::string>> fields) {
  manifest_.model = std::move(fields);
}

void WeightStoreWriter::set_quant(std::string quant) {
  STRATA_CHECK(is_known_store_quant(quant), "unknown store quantization '", quant, "'");
  manifest_.quant = std::move(quant);
}

void WeightStoreWriter::check_new_name(const std::string& name, const char* what) const {
  STRATA_CHECK(!name.empty() && name.find('/') == std::string::npos && name != "." &&
                   name != ".." && name != StoreManifest::kFileName,
               store_.string(), ": '", name, "' cannot be the name of a ", what);
  const auto same = [&](const auto& f) { return f.name == name; };
  STRATA_CHECK(std::none_of(manifest_.files.begin(), manifest_.files.end(), same) &&
                   std::none_of(manifest_.side_files.begin(), manifest_.side_files.end(), same),
               store_.string(), ": file '", name,
               "' was already written (a data file's tensors must be added together)");
}

void WeightStoreWriter::open_data_file(const std::string& file) {
  check_new_name(file, "data file");
  UringFileOptions io = options_.io;
  io.access = FileAccess::create;
  const fs::path path = temp_ / file;
  io.warn = warnings_.sink_for(path.string());
  current_.emplace(UringFile::open(path, std::move(io)));
  current_end_ = 0;
  manifest_.files.push_back({file, 0});
}

void WeightStoreWriter::close_data_file() {
  if (!current_) return;
  current_->sync();
  current_.reset();
}

void WeightStoreWriter::add_tensor(const std::string& file, const StoreTensorSpec& spec,
                                   const void* bytes) {
  add_tensor(file, spec, [&](void* dst) { std::memcpy(dst, bytes, spec.length); });
}

void WeightStoreWriter::add_tensor(const std::string& file, const StoreTensorSpec& spec,
                                   const std::function<void(void* dst)>& fill) {
  STRATA_CHECK(!finished_, store_.string(), ": add_tensor after finish");
  STRATA_CHECK(!spec.name.empty() && !spec.dtype.empty(), "tensor name and dtype are required");
  STRATA_CHECK(std::none_of(manifest_.tensors.begin(), manifest_.tensors.end(),
                            [&](const StoreTensor& t) { return t.name == spec.name; }),
               store_.string(), ": tensor ", spec.name, " added twice");
  if (const auto size = store_dtype_size(spec.dtype)) {
    uint64_t elements = 1;
    for (int64_t d : spec.shape) elements *= uint64_t(d);
    STRATA_CHECK(elements * *size == spec.length, "tensor ", spec.name, ": ", spec.length,
                 " bytes, but its shape and dtype ", spec.dtype, " make ", elements * *size);
  }
  if (!current_ || manifest_.files.back().name != file) {
    close_data_file();
    open_data_file(file);
  }
  // Zero padding to the next 4096 keeps the file a whole number of blocks, so every tensor
  // (and the file) can be read back with one O_DIRECT request.
  const size_t padded = AlignedBuffer::round_up(spec.length);
  if (staging_.size() < padded) staging_ = AlignedBuffer(padded);
  char* data = staging_.data<char>();
  fill(data);
  std::memset(data + spec.length, 0, padded - spec.length);

  StoreTensor t{spec.name, spec.dtype, spec.shape, file, current_end_, spec.length,
                crc32c(data, spec.length)};
  try {
    current_->write(data, current_end_, padded);
  } catch (const IoError& e) {
    throw e.with_context(str_cat("writing tensor ", spec.name, " of store ", store_.string()));
  }
  current_end_ += padded;
  manifest_.files.back().bytes = current_end_;
  manifest_.tensors.push_back(std::move(t));
}

void WeightStoreWriter::write_small_file(const std::string& name, const std::string& contents) {
  UringFileOptions io = options_.io;
  io.access = FileAccess::create;
  io.mode = IoMode::buffered;  // small, unaligned text: the page cache is the right path
  const fs::path path = temp_ / name;
  io.warn = warnings_.sink_for(path.string());
  UringFile f = UringFile::open(path, std::move(io));
  try {
    f.write(contents.data(), 0, contents.size());
    f.sync();
  } catch (const IoError& e) {
    throw e.with_context(str_cat("writing ", name, " of store ", store_.string()));
  }
}

void WeightStoreWriter::add_side_file(const std::string& name, const std::string& contents) {
  STRATA_CHECK(!finished_, store_.string(), ": add_side_file after finish");
  check_new_name(name, "side file");
  write_small_file(name, contents);
  manifest_.side_files.push_back({name, contents.size(), crc32c(contents.data(), contents.size())});
}

const StoreManifest& WeightStoreWriter::finish() {
  STRATA_CHECK(!finished_, store_.string(), ": finish called twice");
  close_data_file();
  write_small_file(std::string(StoreManifest::kFileName), manifest_.to_yaml());
  sync_directory(temp_);
  install();
  return manifest_;
}

void WeightStoreWriter::install() {
  std::error_code ec;
  const std::string target = store_.string();
  if (!fs::exists(store_, ec)) {
    if (::rename(temp_.c_str(), store_.c_str()) != 0) {
      const int error = errno;
      throw IoError(str_cat(target, ": cannot rename ", temp_.string(), " into place: ",
                            std::strerror(error)), target, 0, 0, error);
    }
    finished_ = true;
  } else {
    // Checked again: the store may have appeared while we were converting.
    STRATA_CHECK_INPUT(options_.existing == WeightStoreWriterOptions::Existing::replace &&
                           replaceable(store_),
                       target, ": already exists; not replacing it");
    fs::path old = temp_;  // after the exchange the temporary name holds the old store
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, store_.c_str(), RENAME_EXCHANGE) != 0) {
      // No RENAME_EXCHANGE on this file system: a short window without a store instead.
      old = store_.parent_path() / (store_.filename().string() + ".old-" +
                                    std::to_string(::getpid()));
      fs::remove_all(old, ec);
      const bool moved_aside = ::rename(store_.c_str(), old.c_str()) == 0;
      if (!moved_aside || ::rename(temp_.c_str(), store_.c_str()) != 0) {
        const int error = errno;
        if (moved_aside) ::rename(old.c_str(), store_.c_str());  // put the old store back
        throw IoError(str_cat(target, ": cannot replace the existing store: ",
                              std::strerror(error)), target, 0, 0, error);
      }
    }
    finished_ = true;
    fs::remove_all(old, ec);  // the new store is in place; a leftover old copy is harmless
  }
  sync_directory(store_.parent_path().empty() ? fs::path(".") : store_.parent_path());
}

}  // namespace strata
