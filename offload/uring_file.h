// UringFile: one open file read and written through io_uring, the SSD tier's only I/O path.
// Owns the file descriptor and its own ring (RAII; the destructor never throws). Not
// thread-safe: one thread (the executor's disk thread) drives a file at a time.
//
// Every call is synchronous to its caller: read_many/write_many submit up to queue_depth pieces
// at once, check every completion's result, resubmit the rest of a short transfer, retry -EAGAIN
// and -EINTR, and return only when every piece has finished, so no kernel write into a caller's
// buffer outlives the call. Each request keeps its own status (io_request.h).
//
// Alignment (O_DIRECT, IoMode::direct):
//  - reads: any buffer, offset and length. The 4096-aligned middle of a request goes straight
//    into the caller's buffer; an unaligned head or tail (under 4096 bytes each) goes through a
//    small bounce buffer and is copied. If the buffer and the offset are misaligned relative to
//    each other (address % 4096 != offset % 4096), the whole request is bounced piece by piece.
//    Aligned buffer + aligned offset + length a multiple of 4096 means zero copies.
//  - writes: buffer address, offset and length must be multiples of 4096 (checked; Error).
// Memory: any host memory works as a buffer (AlignedBuffer, or pinned memory from the CUDA
// side), the type is not fixed here: callers pass pointers.
//
// Fallbacks, each reported once per file through options.warn, same interface afterwards:
//  - open with O_DIRECT fails with EINVAL (file system without O_DIRECT): buffered I/O;
//  - io_uring_queue_init fails (ENOSYS, EPERM, ...): pread/pwrite.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "offload/io_error.h"
#include "offload/io_request.h"
#include "offload/unique_fd.h"
#include "offload/uring_file_options.h"

namespace strata {

class UringFile {
 public:
  static constexpr size_t kBlock = 4096;

  // Throws IoError naming the path and errno when the file cannot be opened.
  static UringFile open(const std::filesystem::path& path, UringFileOptions options = {});
  // Takes an already open descriptor; options.mode states how it was opened (no detection).
  // `name` stands for the file in error messages.
  static UringFile adopt(UniqueFd fd, std::string name, UringFileOptions options = {});

  UringFile(UringFile&&) noexcept;
  UringFile& operator=(UringFile&&) noexcept;
  ~UringFile();

  // Whole transfers or an IoError naming file, operation, offset, length and errno; a read
  // that meets the end of the file first is an IoError with errno 0 ("end of file").
  void read(void* dst, uint64_t offset, size_t length);
  void write(const void* src, uint64_t offset, size_t length);

  // Batches: every request runs; each gets its own status. Return the number that failed.
  // Misuse (an unaligned O_DIRECT write) throws Error before anything is submitted.
  size_t read_many(std::span<IoRequest> requests);
  size_t write_many(std::span<IoRequest> requests);

  // The IoError describing a failed request of a batch; throw_if_failed throws the first.
  IoError error_for(const IoRequest& request, IoDirection direction) const;
  void throw_if_failed(std::span<const IoRequest> requests, IoDirection direction) const;

  void sync();            // fdatasync; IoError on failure
  uint64_t size() const;  // current file size (fstat); IoError on failure

  const std::string& path() const;
  IoMode mode() const;      // after fallback
  IoEngine engine() const;  // after fallback
  unsigned queue_depth() const;

  struct State;  // opaque: descriptor, ring, options, fault counters

 private:
  explicit UringFile(std::unique_ptr<State> state);
  size_t run(std::span<IoRequest> requests, IoDirection direction);

  std::unique_ptr<State> state_;
};

}  // namespace strata
