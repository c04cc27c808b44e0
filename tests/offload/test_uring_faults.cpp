// UringFile under injected faults: forced short transfers are resubmitted, -EAGAIN is retried,
// a refused io_uring falls back to pread/pwrite, a refused O_DIRECT (tmpfs) falls back to
// buffered I/O with exactly one warning, and ENOSPC is a clear error.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <random>

#include "offload/aligned_buffer.h"
#include "offload/uring_file.h"
#include "offload_test_util.h"

namespace strata {

TEST_CASE("UringFile resubmits short transfers and retries EAGAIN", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "data.bin";
  const size_t size = 512 * 1024 + 777;
  const std::string data = ut::random_bytes(size, 9);
  ut::write_file(path, data);
  for (IoMode mode : {IoMode::direct, IoMode::buffered}) {
    for (bool posix : {false, true}) {
      INFO((mode == IoMode::direct ? "direct" : "buffered") << (posix ? " posix" : " io_uring"));
      UringFileOptions o;
      o.mode = mode;
      o.queue_depth = 4;
      o.max_piece_bytes = 64 * 1024;
      o.faults.refuse_uring = posix;
      o.faults.max_transfer = 4096;  // every piece completes 4096 bytes at a time
      o.faults.eagain_every = 3;     // and every third completion is -EAGAIN
      UringFile f = UringFile::open(path, o);
      AlignedBuffer dst(size + 4096);
      f.read(dst.data(), 0, size);
      CHECK(std::string(dst.data<char>(), size) == data);
      f.read(dst.data<char>() + 5, 1000, 300000);  // unaligned: bounce pieces, same faults
      CHECK(std::string(dst.data<char>() + 5, 300000) == data.substr(1000, 300000));

      // Writes under the same faults land whole.
      UringFileOptions w = o;
      w.access = FileAccess::create;
      UringFile out = UringFile::open(dir / "out.bin", w);
      AlignedBuffer src(256 * 1024);
      std::memcpy(src.data(), data.data(), src.size());
      out.write(src.data(), 0, src.size());
      out.sync();
      CHECK(ut::read_file(dir / "out.bin") == data.substr(0, src.size()));
    }
  }
}

TEST_CASE("UringFile gives up on endless EAGAIN with an error, not a hang", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "data.bin";
  ut::write_file(path, ut::random_bytes(8192, 10));
  UringFileOptions o;
  o.faults.eagain_every = 1;  // every completion: -EAGAIN
  UringFile f = UringFile::open(path, o);
  AlignedBuffer dst(8192);
  try {
    f.read(dst.data(), 0, 8192);
    FAIL("a read that only ever gets EAGAIN succeeded");
  } catch (const IoError& e) {
    CHECK(e.error_number() == EAGAIN);
    CHECK_THAT(e.what(), Catch::Contains(path.string()));
  }
}

TEST_CASE("UringFile falls back to pread/pwrite when io_uring is refused", "[uring]") {
  ut::TempDir dir;
  const auto path = dir / "data.bin";
  const std::string data = ut::random_bytes(100000, 11);
  ut::write_file(path, data);
  ut::Warnings warnings;
  UringFileOptions o;
  o.faults.refuse_uring = true;
  o.warn = warnings.sink();
  UringFile f = UringFile::open(path, o);
  CHECK(f.engine() == IoEngine::posix);
  REQUIRE(warnings.lines.size() == 1);
  CHECK_THAT(warnings.lines[0], Catch::Contains("io_uring is unavailable"));
  CHECK_THAT(warnings.lines[0], Catch::Contains(path.string()));
  std::string back(data.size(), '\0');
  f.read(back.data(), 0, back.size());
  CHECK(back == data);
  // Without a refusal: io_uring, and no warning at all.
  ut::Warnings none;
  UringFileOptions plain;
  plain.warn = none.sink();
  CHECK(UringFile::open(path, plain).engine() == IoEngine::io_uring);
  CHECK(none.lines.empty());
}

TEST_CASE("UringFile on tmpfs falls back to buffered I/O with exactly one warning", "[uring]") {
  // Linux 6.6+ lets tmpfs open O_DIRECT; there the refusal that older kernels give is injected.
  std::filesystem::path shm = "/dev/shm";
  std::error_code ec;
  ut::TempDir fallback_dir;
  if (!std::filesystem::is_directory(shm, ec) || ::access(shm.c_str(), W_OK) != 0) {
    WARN("/dev/shm is not writable; testing the fallback in " << fallback_dir.path());
    shm = fallback_dir.path();
  }
  const auto path = shm / ("strata_ut_direct_" + std::to_string(::getpid()) + ".bin");
  const std::string data = ut::random_bytes(3 * 4096 + 100, 12);
  ut::write_file(path, data);
  const int probe = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  const bool refused_for_real = probe < 0 && errno == EINVAL;
  if (probe >= 0) ::close(probe);
  if (!refused_for_real) WARN(shm << " accepts O_DIRECT on this kernel; the refusal is injected");

  ut::Warnings warnings;
  UringFileOptions o;
  o.access = FileAccess::update;
  o.warn = warnings.sink();
  o.faults.refuse_direct = !refused_for_real;
  {
    UringFile f = UringFile::open(path, o);
    CHECK(f.mode() == IoMode::buffered);
    AlignedBuffer buf(4 * 4096);
    f.read(buf.data<char>() + 1, 3, data.size() - 3);
    CHECK(std::string(buf.data<char>() + 1, data.size() - 3) == data.substr(3));
    std::memset(buf.data(), 'z', 4096);
    f.write(buf.data(), 4096, 4096);  // asked for O_DIRECT: aligned writes still work
    CHECK_THROWS_AS(f.write(buf.data(), 1, 10), Error);  // and unaligned ones still refused
  }
  std::filesystem::remove(path, ec);
  REQUIRE(warnings.lines.size() == 1);
  CHECK_THAT(warnings.lines[0], Catch::Contains("O_DIRECT"));
  CHECK_THAT(warnings.lines[0], Catch::Contains(path.string()));
}

TEST_CASE("UringFile reports ENOSPC on write as a clear error", "[uring]") {
  ut::TempDir dir;
  for (bool posix : {false, true}) {
    INFO((posix ? "posix" : "io_uring"));
    UringFileOptions o;
    o.access = FileAccess::create;
    o.max_piece_bytes = 16384;
    o.faults.refuse_uring = posix;
    o.faults.enospc_after_bytes = 3 * 16384;
    const auto path = dir / "full.bin";
    UringFile f = UringFile::open(path, o);
    AlignedBuffer src(8 * 16384);
    IoRequest r{src.data(), 0, src.size(), {}};
    CHECK(f.write_many({&r, 1}) == 1);
    CHECK(r.status.result == IoResult::failed);
    CHECK(r.status.error == ENOSPC);
    CHECK(r.status.failed_at >= 3 * 16384);
    CHECK(r.status.transferred <= 3 * 16384);
    try {
      f.write(src.data(), 0, src.size());
      FAIL("write past the injected full disk succeeded");
    } catch (const IoError& e) {
      CHECK(e.error_number() == ENOSPC);
      CHECK_THAT(e.what(), Catch::Contains("No space left on device"));
      CHECK_THAT(e.what(), Catch::Contains(path.string()));
    }
  }
}

}  // namespace strata
