#include "offload/io_batch.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include "common/error.h"
#include "offload/aligned_buffer.h"

namespace strata::io_detail {
namespace {

constexpr size_t kBlock = AlignedBuffer::kAlignment;
// Consecutive -EAGAIN/-EINTR completions of one piece before it is reported as failed: a
// transient condition clears long before this; a permanent one must not spin forever.
constexpr int kMaxRetries = 1000;

constexpr uint64_t align_down(uint64_t x) { return x / kBlock * kBlock; }
constexpr uint64_t align_up(uint64_t x) { return (x + kBlock - 1) / kBlock * kBlock; }

// One transfer the kernel sees. Direct pieces land in the caller's buffer; bounce pieces read a
// block-aligned span into their own buffer and copy the requested part out when complete.
struct Piece {
  size_t request = 0;
  uint64_t file_offset = 0;  // start of the span (block-aligned for bounce pieces)
  char* target = nullptr;    // where the span lands (the bounce buffer once allocated)
  size_t span = 0;           // bytes asked of the kernel
  size_t need = 0;           // bytes that must arrive; < span only where a bounce span runs
                             // past the requested range (it may end beyond end of file)
  size_t done = 0;
  int retries = 0;
  bool bounce = false;
  size_t copy_skip = 0;  // bounce: requested bytes start this far into the span
  size_t copy_len = 0;
  char* copy_dst = nullptr;
  AlignedBuffer buffer;  // bounce buffer, allocated on first submission, freed when finished
};

enum class Step { resubmit, finished };

class Batch {
 public:
  Batch(const BatchSetup& setup, std::span<IoRequest> requests)
      : s_(setup), requests_(requests) {
    for (size_t r = 0; r < requests_.size(); ++r) {
      requests_[r].status = IoStatus{};
      plan(r);
    }
  }

  size_t run() {
    if (s_.ring != nullptr) {
      run_uring();
    } else {
      run_posix();
    }
    size_t failed = 0;
    for (IoRequest& r : requests_) {
      if (r.status.result == IoResult::pending) r.status.result = IoResult::ok;
      failed += r.status.ok() ? 0 : 1;
    }
    return failed;
  }

 private:
  void plan(size_t r) {
    IoRequest& q = requests_[r];
    char* dst = static_cast<char*>(q.data);
    if (s_.direction == IoDirection::write || s_.mode == IoMode::buffered) {
      add_direct(r, q.offset, dst, q.length);  // writes were checked aligned by UringFile
      return;
    }
    const uint64_t skew = q.offset % kBlock;
    if (reinterpret_cast<uintptr_t>(dst) % kBlock != skew) {
      // Buffer and offset misaligned relative to each other: no byte can go direct.
      for (size_t at = 0; at < q.length; at += s_.max_piece_bytes) {
        add_bounce(r, q.offset + at, dst + at, std::min(s_.max_piece_bytes, q.length - at));
      }
      return;
    }
    const size_t head = skew == 0 ? 0 : std::min<size_t>(q.length, kBlock - skew);
    const size_t body = align_down(q.length - head);
    const size_t tail = q.length - head - body;
    if (head > 0) add_bounce(r, q.offset, dst, head);
    add_direct(r, q.offset + head, dst + head, body);
    if (tail > 0) add_bounce(r, q.offset + head + body, dst + head + body, tail);
  }

  void add_direct(size_t r, uint64_t offset, char* dst, size_t length) {
    for (size_t at = 0; at < length; at += s_.max_piece_bytes) {
      Piece p;
      p.request = r;
      p.file_offset = offset + at;
      p.target = dst + at;
      p.span = p.need = std::min(s_.max_piece_bytes, length - at);
      push(std::move(p));
    }
  }

  void add_bounce(size_t r, uint64_t offset, char* dst, size_t length) {
    Piece p;
    p.request = r;
    p.file_offset = align_down(offset);
    p.span = align_up(offset + length) - p.file_offset;
    p.bounce = true;
    p.copy_skip = offset - p.file_offset;
    p.copy_len = length;
    p.copy_dst = dst;
    p.need = p.copy_skip + length;
    push(std::move(p));
  }

  void push(Piece p) { pieces_.push_back(std::move(p)); }

  struct Chunk {
    uint64_t offset;
    char* data;
    size_t length;
  };

  Chunk next_chunk(Piece& p) {
    if (p.bounce && p.buffer.size() == 0) {
      p.buffer = AlignedBuffer(p.span);
      p.target = p.buffer.data<char>();
    }
    size_t length = p.span - p.done;
    if (s_.faults->max_transfer > 0) {
      size_t cap = s_.faults->max_transfer;
      if (s_.mode == IoMode::direct) cap = std::max<size_t>(kBlock, align_down(cap));
      length = std::min(length, cap);
    }
    return {p.file_offset + p.done, p.target + p.done, length};
  }

  // An injected ENOSPC for a write about to be submitted (IoFaults::enospc_after_bytes).
  bool inject_enospc(const Chunk& c) {
    if (s_.direction != IoDirection::write) return false;
    s_.counters->write_bytes_submitted += c.length;
    return s_.counters->write_bytes_submitted > s_.faults->enospc_after_bytes;
  }

  int64_t observe(int64_t res) {
    ++s_.counters->completions;
    const unsigned every = s_.faults->eagain_every;
    return every > 0 && s_.counters->completions % every == 0 ? -EAGAIN : res;
  }

  // The heart of the completion check: classifies one result of piece i.
  Step complete(size_t i, int64_t res) {
    Piece& p = pieces_[i];
    const uint64_t at = p.file_offset + p.done;
    if (res < 0) {
      const int e = int(-res);
      if ((e == EAGAIN || e == EINTR) && ++p.retries <= kMaxRetries) return Step::resubmit;
      finish(i, IoResult::failed, e, at);
      return Step::finished;
    }
    p.retries = 0;
    if (res == 0) {
      // A read of 0 bytes is the end of the file; a write of 0 bytes makes no progress.
      const bool read = s_.direction == IoDirection::read;
      finish(i, read ? IoResult::end_of_file : IoResult::failed, read ? 0 : EIO, at);
      return Step::finished;
    }
    p.done += size_t(res);
    if (p.done >= p.need) {
      if (p.bounce) std::memcpy(p.copy_dst, p.target + p.copy_skip, p.copy_len);
      finish(i, IoResult::ok, 0, 0);
      return Step::finished;
    }
    // O_DIRECT moves whole blocks: a read that stops inside a block stopped at end of file
    // (resubmitting at an unaligned offset would only fail with EINVAL).
    if (s_.direction == IoDirection::read && s_.mode == IoMode::direct &&
        (p.file_offset + p.done) % kBlock != 0) {
      finish(i, IoResult::end_of_file, 0, p.file_offset + p.done);
      return Step::finished;
    }
    return Step::resubmit;  // a short transfer: the rest goes in again
  }

  void finish(size_t i, IoResult result, int error, uint64_t at) {
    Piece& p = pieces_[i];
    IoStatus& st = requests_[p.request].status;
    if (result == IoResult::ok) {
      st.transferred += p.bounce ? p.copy_len : p.span;
    } else {
      if (!p.bounce) st.transferred += p.done;
      // A bounce span starts before the requested bytes; report no offset before them.
      at = std::max<uint64_t>(at, p.file_offset + p.copy_skip);
      // Several pieces may fail; the one nearest the start of the request is reported.
      if (st.result == IoResult::pending || at < st.failed_at) {
        st.result = result;
        st.error = error;
        st.failed_at = at;
      }
    }
    p.buffer = AlignedBuffer();
  }

  void run_posix() {
    for (size_t i = 0; i < pieces_.size(); ++i) {
      for (;;) {
        const Chunk c = next_chunk(pieces_[i]);
        int64_t res;
        if (inject_enospc(c)) {
          res = -ENOSPC;
        } else {
          res = s_.direction == IoDirection::read ? ::pread(s_.fd, c.data, c.length, off_t(c.offset))
                                                  : ::pwrite(s_.fd, c.data, c.length, off_t(c.offset));
          if (res < 0) res = -errno;
        }
        if (complete(i, observe(res)) == Step::finished) break;
      }
    }
  }

  void run_uring() {
    io_uring* ring = s_.ring;
    std::deque<size_t> ready;
    for (size_t i = 0; i < pieces_.size(); ++i) ready.push_back(i);
    unsigned in_flight = 0;
    while (!ready.empty() || in_flight > 0) {
      while (!ready.empty() && in_flight < s_.queue_depth) {
        const size_t i = ready.front();
        const Chunk c = next_chunk(pieces_[i]);
        if (inject_enospc(c)) {
          ready.pop_front();
          if (complete(i, observe(-ENOSPC)) == Step::resubmit) ready.push_back(i);
          continue;
        }
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (sqe == nullptr) break;  // submission queue full: submit what is there first
        ready.pop_front();
        if (s_.direction == IoDirection::read) {
          io_uring_prep_read(sqe, s_.fd, c.data, unsigned(c.length), c.offset);
        } else {
          io_uring_prep_write(sqe, s_.fd, c.data, unsigned(c.length), c.offset);
        }
        io_uring_sqe_set_data64(sqe, i);
        ++in_flight;
      }
      if (in_flight == 0) continue;
      const int rc = io_uring_submit_and_wait(ring, 1);
      if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        abandon(ready, in_flight, -rc);
        return;
      }
      unsigned head, seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(ring, head, cqe) {
        ++seen;
        --in_flight;
        const size_t i = size_t(io_uring_cqe_get_data64(cqe));
        if (complete(i, observe(cqe->res)) == Step::resubmit) ready.push_back(i);
      }
      io_uring_cq_advance(ring, seen);
      if (seen == 0 && rc < 0) std::this_thread::yield();  // EAGAIN/EBUSY: let the kernel drain
    }
  }

  // The ring itself failed: every piece not yet submitted fails with that errno, and the pieces
  // already in flight are waited for (they may still write into caller memory) before the error
  // is thrown.
  void abandon(std::deque<size_t>& ready, unsigned in_flight, int error) {
    for (size_t i : ready) finish(i, IoResult::failed, error, pieces_[i].file_offset);
    for (int waits = 0; in_flight > 0 && waits < 10; ++waits) {
      __kernel_timespec timeout{1, 0};
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe_timeout(s_.ring, &cqe, &timeout) < 0 || cqe == nullptr) continue;
      const size_t i = size_t(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(s_.ring, cqe);
      --in_flight;
      if (complete(i, res) == Step::resubmit) {
        finish(i, IoResult::failed, error, pieces_[i].file_offset + pieces_[i].done);
      }
    }
    throw Error(str_cat("io_uring submission failed: ", std::strerror(error), " (errno ", error,
                        "); ", in_flight, " transfers could not be drained"));
  }

  const BatchSetup& s_;
  std::span<IoRequest> requests_;
  std::vector<Piece> pieces_;
};

}  // namespace

size_t run_io_batch(const BatchSetup& setup, std::span<IoRequest> requests) {
  STRATA_CHECK(setup.faults != nullptr && setup.counters != nullptr, "batch setup incomplete");
  STRATA_CHECK(setup.max_piece_bytes >= kBlock && setup.max_piece_bytes % kBlock == 0,
               "max_piece_bytes ", setup.max_piece_bytes, " must be a multiple of ", kBlock);
  return Batch(setup, requests).run();
}

}  // namespace strata::io_detail
