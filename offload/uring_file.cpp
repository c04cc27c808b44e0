#include "offload/uring_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "offload/io_batch.h"
#include "offload/uring_ring.h"

namespace strata {

struct UringFile::State {
  std::string path;
  UniqueFd fd;
  UringFileOptions options;  // as asked (options.mode: the requested mode)
  IoMode mode = IoMode::direct;
  std::unique_ptr<UringRing> ring;  // nullptr: pread/pwrite
  io_detail::FaultCounters counters;
};

namespace {

std::string errno_text(int error) {
  return str_cat(std::strerror(error), " (errno ", error, ")");
}

int open_flags(FileAccess access) {
  switch (access) {
    case FileAccess::read: return O_RDONLY | O_CLOEXEC;
    case FileAccess::create: return O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC;
    case FileAccess::update: return O_RDWR | O_CLOEXEC;
  }
  return O_RDONLY | O_CLOEXEC;
}

void warn(const UringFileOptions& options, const std::string& message) {
  if (options.warn) options.warn(message);
}

void check_options(const UringFileOptions& o, const std::string& path) {
  STRATA_CHECK(o.queue_depth >= 1 && o.queue_depth <= 4096, path, ": queue_depth ",
               o.queue_depth, " must be in [1, 4096]");
  STRATA_CHECK(o.max_piece_bytes >= UringFile::kBlock && o.max_piece_bytes % UringFile::kBlock == 0 &&
                   o.max_piece_bytes <= (size_t(1) << 30),
               path, ": max_piece_bytes ", o.max_piece_bytes,
               " must be a multiple of 4096 and at most 1 GiB");
}

// Sets up the ring, or falls back to pread/pwrite with one warning.
void attach_ring(UringFile::State& s) {
  int error = ENOSYS;
  if (!s.options.faults.refuse_uring) s.ring = UringRing::create(s.options.queue_depth, &error);
  if (s.ring == nullptr) {
    warn(s.options, str_cat(s.path, ": io_uring is unavailable (", errno_text(error),
                            "); using pread/pwrite, one transfer at a time"));
  }
}

}  // namespace

UringFile::UringFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
UringFile::UringFile(UringFile&&) noexcept = default;
UringFile& UringFile::operator=(UringFile&&) noexcept = default;
// Members go in reverse order: the ring is torn down before the descriptor is closed.
UringFile::~UringFile() = default;

UringFile UringFile::open(const std::filesystem::path& path, UringFileOptions options) {
  auto s = std::make_unique<State>();
  s->path = path.string();
  check_options(options, s->path);
  s->options = std::move(options);
  s->mode = s->options.mode;
  const int flags = open_flags(s->options.access);
  int fd = -1;
  if (s->mode == IoMode::direct) {
    if (s->options.faults.refuse_direct) {
      errno = EINVAL;
    } else {
      fd = ::open(s->path.c_str(), flags | O_DIRECT, 0644);
    }
    // EINVAL from open with O_DIRECT: the file system cannot do direct I/O (tmpfs before Linux
    // 6.6, some FUSE and network file systems). Buffered I/O still works, only slower.
    if (fd < 0 && errno == EINVAL) {
      warn(s->options, str_cat(s->path, ": the file system refuses O_DIRECT; using buffered I/O "
                               "through the page cache instead"));
      s->mode = IoMode::buffered;
    }
  }
  if (fd < 0) fd = ::open(s->path.c_str(), flags, 0644);
  if (fd < 0) {
    const int error = errno;
    throw IoError(str_cat(s->path, ": cannot open for ",
                          s->options.access == FileAccess::read ? "reading" : "writing", ": ",
                          errno_text(error)),
                  s->path, 0, 0, error);
  }
  s->fd = UniqueFd(fd);
  attach_ring(*s);
  return UringFile(std::move(s));
}

UringFile UringFile::adopt(UniqueFd fd, std::string name, UringFileOptions options) {
  auto s = std::make_unique<State>();
  s->path = std::move(name);
  check_options(options, s->path);
  s->options = std::move(options);
  s->mode = s->options.mode;
  s->fd = std::move(fd);
  attach_ring(*s);
  return UringFile(std::move(s));
}

size_t UringFile::run(std::span<IoRequest> requests, IoDirection direction) {
  const State& s = *state_;
  if (direction == IoDirection::write && s.options.mode == IoMode::direct) {
    for (const IoRequest& r : requests) {
      const bool aligned = reinterpret_cast<uintptr_t>(r.data) % kBlock == 0 &&
                           r.offset % kBlock == 0 && r.length % kBlock == 0;
      STRATA_CHECK(aligned, s.path, ": O_DIRECT write of ", r.length, " bytes at offset ",
                   r.offset, " from address ", r.data,
                   ": buffer address, offset and length must be multiples of ", kBlock);
    }
  }
  io_detail::BatchSetup setup;
  setup.fd = s.fd.get();
  setup.direction = direction;
  setup.mode = s.mode;
  setup.ring = s.ring ? s.ring->get() : nullptr;
  setup.queue_depth = s.options.queue_depth;
  setup.max_piece_bytes = s.options.max_piece_bytes;
  setup.faults = &s.options.faults;
  setup.counters = &state_->counters;
  return io_detail::run_io_batch(setup, requests);
}

size_t UringFile::read_many(std::span<IoRequest> requests) {
  return run(requests, IoDirection::read);
}

size_t UringFile::write_many(std::span<IoRequest> requests) {
  return run(requests, IoDirection::write);
}

void UringFile::read(void* dst, uint64_t offset, size_t length) {
  IoRequest r{dst, offset, length, {}};
  if (read_many({&r, 1}) != 0) throw error_for(r, IoDirection::read);
}

void UringFile::write(const void* src, uint64_t offset, size_t length) {
  IoRequest r{const_cast<void*>(src), offset, length, {}};  // a write only reads from it
  if (write_many({&r, 1}) != 0) throw error_for(r, IoDirection::write);
}

IoError UringFile::error_for(const IoRequest& r, IoDirection direction) const {
  const std::string& path = state_->path;
  std::string what = str_cat(path, ": ", direction == IoDirection::read ? "read" : "write", " of ",
                             r.length, " bytes at offset ", r.offset);
  const IoStatus& st = r.status;
  switch (st.result) {
    case IoResult::ok:
      return IoError(what + " succeeded", path, r.offset, r.length, 0);
    case IoResult::pending:
      return IoError(what + " did not run", path, r.offset, r.length, 0);
    case IoResult::end_of_file: {
      struct stat info {};
      const std::string size = ::fstat(state_->fd.get(), &info) == 0
                                   ? str_cat(" (file is ", info.st_size, " bytes)")
                                   : std::string();
      return IoError(str_cat(what, ": end of file at offset ", st.failed_at, size), path,
                     r.offset, r.length, 0);
    }
    case IoResult::failed:
      break;
  }
  return IoError(str_cat(what, " failed at offset ", st.failed_at, ": ", errno_text(st.error)),
                 path, r.offset, r.length, st.error);
}

void UringFile::throw_if_failed(std::span<const IoRequest> requests, IoDirection direction) const {
  for (const IoRequest& r : requests) {
    if (!r.status.ok()) throw error_for(r, direction);
  }
}

void UringFile::sync() {
  if (::fdatasync(state_->fd.get()) != 0) {
    const int error = errno;
    throw IoError(str_cat(state_->path, ": fdatasync failed: ", errno_text(error)), state_->path,
                  0, 0, error);
  }
}

uint64_t UringFile::size() const {
  struct stat info {};
  if (::fstat(state_->fd.get(), &info) != 0) {
    const int error = errno;
    throw IoError(str_cat(state_->path, ": fstat failed: ", errno_text(error)), state_->path, 0,
                  0, error);
  }
  return uint64_t(info.st_size);
}

const std::string& UringFile::path() const { return state_->path; }
IoMode UringFile::mode() const { return state_->mode; }
IoEngine UringFile::engine() const { return state_->ring ? IoEngine::io_uring : IoEngine::posix; }
unsigned UringFile::queue_depth() const { return state_->options.queue_depth; }

}  // namespace strata
