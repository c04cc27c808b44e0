// UringFile reads and writes against plain pread: random offsets and lengths (aligned and not),
// batches deeper than the queue, write-then-read-back, a read past the end of a short file, and
// a descriptor that is not open. Each configuration runs on io_uring and on the pread fallback,
// with O_DIRECT and buffered.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <random>

#include "offload/aligned_buffer.h"
#include "offload/uring_file.h"
#include "offload_test_util.h"

namespace strata {
namespace {

struct Config {
  IoMode mode;
  bool posix;  // inject an io_uring refusal: exercises the pread/pwrite engine
  unsigned depth;
  size_t piece;
};

std::string describe(const Config& c) {
  return str_cat(c.mode == IoMode::direct ? "direct" : "buffered", c.posix ? " posix" : " io_uring",
                 " depth ", c.depth, " piece ", c.piece);
}

UringFileOptions options_for(const Config& c, FileAccess access = FileAccess::read) {
  UringFileOptions o;
  o.access = access;
  o.mode = c.mode;
  o.queue_depth = c.depth;
  o.max_piece_bytes = c.piece;
  o.faults.refuse_uring = c.posix;
  return o;
}

const Config kConfigs[] = {
    {IoMode::direct, false, 32, 1 << 20}, {IoMode::direct, false, 1, 4096},
    {IoMode::direct, false, 4, 65536},    {IoMode::buffered, false, 8, 8192},
    {IoMode::direct, true, 1, 65536},     {IoMode::buffered, true, 1, 1 << 20},
};

}  // namespace

TEST_CASE("UringFile reads equal pread at random offsets and lengths", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "data.bin";
  const size_t size = 3 * 1024 * 1024 + 1234;  // not a whole number of blocks
  ut::write_file(path, ut::random_bytes(size, 1));
  for (const Config& c : kConfigs) {
    INFO(describe(c));
    UringFile f = UringFile::open(path, options_for(c));
    CHECK(f.engine() == (c.posix ? IoEngine::posix : IoEngine::io_uring));
    CHECK(f.size() == size);
    std::mt19937 rng(42);
    AlignedBuffer dst(600 * 1024 + 2 * 4096);
    for (int trial = 0; trial < 150; ++trial) {
      // Thirds: block-aligned everything; unaligned offset and length; unaligned buffer too.
      const int kind = trial % 3;
      uint64_t offset = rng() % size;
      size_t length = rng() % std::min<size_t>(600 * 1024, size - offset + 1);
      size_t skew = 0;
      if (kind == 0) {
        offset = offset / 4096 * 4096;
        length = std::min<size_t>(length, size - offset) / 4096 * 4096;
      } else if (kind == 2) {
        skew = 1 + rng() % 4095;
      }
      INFO("offset " << offset << " length " << length << " buffer skew " << skew);
      char* p = dst.data<char>() + skew;
      std::memset(p, 0xAB, length);
      f.read(p, offset, length);
      REQUIRE(std::string(p, length) == ut::pread_reference(path, offset, length));
    }
    // The last bytes of the file, through an unaligned tail.
    f.read(dst.data(), size - 1234, 1234);
    CHECK(std::string(dst.data<char>(), 1234) == ut::pread_reference(path, size - 1234, 1234));
  }
}

TEST_CASE("UringFile batches deeper than the queue keep every request's data", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "data.bin";
  const size_t size = 2 * 1024 * 1024;
  ut::write_file(path, ut::random_bytes(size, 2));
  for (const Config& c : {Config{IoMode::direct, false, 2, 4096},
                          Config{IoMode::buffered, false, 3, 4096},
                          Config{IoMode::direct, true, 1, 8192}}) {
    INFO(describe(c));
    UringFile f = UringFile::open(path, options_for(c));
    std::mt19937 rng(5);
    const size_t n = 64;  // far more requests (and pieces) than queue slots
    std::vector<AlignedBuffer> buffers;
    std::vector<IoRequest> requests(n);
    for (size_t i = 0; i < n; ++i) {
      const size_t length = 1 + rng() % 40000;
      buffers.emplace_back(length + 4096);
      requests[i] = {buffers.back().data<char>() + (i % 2 ? rng() % 4096 : 0),
                     rng() % (size - length), length, {}};
    }
    REQUIRE(f.read_many(requests) == 0);
    for (const IoRequest& r : requests) {
      CHECK(r.status.ok());
      CHECK(r.status.transferred == r.length);
      REQUIRE(std::string(static_cast<char*>(r.data), r.length) ==
              ut::pread_reference(path, r.offset, r.length));
    }
  }
}

TEST_CASE("UringFile writes read back equal, through both engines", "[uring]") {
  ut::TempDir dir;
  for (const Config& c : kConfigs) {
    INFO(describe(c));
    const auto path = dir / "written.bin";
    UringFile f = UringFile::open(path, options_for(c, FileAccess::create));
    const size_t size = 1024 * 1024 + 8 * 4096;
    const std::string data = ut::random_bytes(size, 3);
    AlignedBuffer src(size);
    std::memcpy(src.data(), data.data(), size);
    // Written as a batch of block-aligned pieces in scrambled order.
    std::vector<IoRequest> writes;
    for (size_t at = 0; at < size; at += 40 * 4096) {
      const size_t length = std::min<size_t>(40 * 4096, size - at);
      writes.push_back({src.data<char>() + at, at, length, {}});
    }
    std::reverse(writes.begin(), writes.end());
    REQUIRE(f.write_many(writes) == 0);
    f.sync();
    CHECK(f.size() == size);
    CHECK(ut::read_file(path) == data);
    AlignedBuffer back(size);
    f.read(back.data<char>() + 3, 7, size - 4096);  // unaligned read of what was written
    CHECK(std::string(back.data<char>() + 3, size - 4096) == data.substr(7, size - 4096));
  }
}

TEST_CASE("UringFile O_DIRECT writes must be block-aligned", "[uring]") {
  ut::TempDir dir;
  UringFileOptions o;
  o.access = FileAccess::create;
  UringFile f = UringFile::open(dir / "w.bin", o);
  AlignedBuffer src(8192);
  CHECK_THROWS_WITH(f.write(src.data(), 0, 100), Catch::Contains("multiples of 4096"));
  CHECK_THROWS_WITH(f.write(src.data(), 512, 4096), Catch::Contains("offset 512"));
  CHECK_THROWS_AS(f.write(src.data<char>() + 1, 0, 4096), Error);
  CHECK(f.size() == 0);  // nothing was submitted
}

TEST_CASE("UringFile read past the end of a short file is an error naming file and offset",
          "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "short.bin";
  ut::write_file(path, ut::random_bytes(10000, 4));
  for (const Config& c : kConfigs) {
    INFO(describe(c));
    UringFile f = UringFile::open(path, options_for(c));
    AlignedBuffer dst(3 * 4096);
    for (const auto& [offset, length] : {std::pair<uint64_t, size_t>{8192, 4096},
                                         {4096, 8192},
                                         {9000, 1500},
                                         {20000, 10}}) {
      INFO("offset " << offset << " length " << length);
      IoRequest r{dst.data(), offset, length, {}};
      CHECK(f.read_many({&r, 1}) == 1);
      CHECK(r.status.result == IoResult::end_of_file);
      CHECK(r.status.failed_at == std::max<uint64_t>(offset, 10000));
      CHECK(r.status.transferred <= (offset < 10000 ? 10000 - offset : 0));
      try {
        f.read(dst.data(), offset, length);
        FAIL("read past end of file succeeded");
      } catch (const IoError& e) {
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains(path.string()));
        CHECK_THAT(what, Catch::Contains(str_cat("at offset ", offset)));
        CHECK_THAT(what, Catch::Contains(str_cat(length, " bytes")));
        CHECK_THAT(what, Catch::Contains("end of file"));
        CHECK_THAT(what, Catch::Contains("file is 10000 bytes"));
        CHECK(e.error_number() == 0);
        CHECK(e.offset() == offset);
      }
    }
    // A request ending exactly at the end of the file is fine.
    f.read(dst.data(), 8192, 10000 - 8192);
    CHECK(std::string(dst.data<char>(), 1808) == ut::pread_reference(path, 8192, 1808));
  }
}

TEST_CASE("UringFile on a descriptor that is not open reports EBADF", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "f.bin";
  ut::write_file(path, ut::random_bytes(8192, 5));
  for (bool posix : {false, true}) {
    INFO((posix ? "posix" : "io_uring"));
    // A high descriptor number, closed: lowest-free allocation will not hand it out again here.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 900);
    REQUIRE(high >= 900);
    ::close(fd);
    ::close(high);
    UringFileOptions o;
    o.mode = IoMode::buffered;
    o.faults.refuse_uring = posix;
    UringFile f = UringFile::adopt(UniqueFd(high), "closed-descriptor-file", o);
    AlignedBuffer dst(8192);
    try {
      f.read(dst.data(), 4096, 4096);
      FAIL("read through a closed descriptor succeeded");
    } catch (const IoError& e) {
      CHECK(e.error_number() == EBADF);
      CHECK_THAT(e.what(), Catch::Contains("closed-descriptor-file"));
      CHECK_THAT(e.what(), Catch::Contains("offset 4096"));
      CHECK_THAT(e.what(), Catch::Contains("errno 9"));
    }
    CHECK_THROWS_AS(f.write(dst.data(), 0, 4096), IoError);
  }
  // A path that does not exist: the open itself names it.
  CHECK_THROWS_WITH(UringFile::open(dir / "missing.bin"),
                    Catch::Contains("missing.bin") && Catch::Contains("cannot open"));
}

}  // namespace strata
