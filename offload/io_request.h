// IoRequest: one positioned read or write of a batch given to UringFile::read_many/write_many.
// The caller owns the memory `data` points to; it must stay valid until the call returns (the
// call returns only after every piece of every request has completed or failed). Each request
// carries its own status, so one failed request does not hide the others' results (RocksDB's
// per-request IOStatus).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

enum class IoDirection : uint8_t { read, write };

enum class IoResult : uint8_t {
  pending,      // not yet run (or the batch was abandoned before it ran)
  ok,           // every byte transferred
  end_of_file,  // a read reached the end of the file before `length` bytes
  failed,       // the kernel returned an error; see `error`
};

struct IoStatus {
  IoResult result = IoResult::pending;
  int error = 0;               // errno of a failure (0 unless result == failed)
  uint64_t failed_at = 0;      // file offset where the failure or the end of file was met
  size_t transferred = 0;      // bytes of [offset, offset + length) moved before any failure
  bool ok() const { return result == IoResult::ok; }
};

struct IoRequest {
  void* data = nullptr;  // read: destination; write: source (not modified)
  uint64_t offset = 0;   // file offset
  size_t length = 0;     // bytes
  IoStatus status;       // filled in by the call
};

}  // namespace strata
