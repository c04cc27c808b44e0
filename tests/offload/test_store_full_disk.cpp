// A store written onto a full file system fails with a clear error (ENOSPC, naming the file)
// and leaves nothing under the final name nor a temporary directory. A real 1 MiB tmpfs is
// mounted where the test may (root, no sandbox); an injected ENOSPC always runs.
#include <catch2/catch.hpp>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "offload/weight_store_writer.h"
#include "offload_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// A size-limited tmpfs mounted on a fresh folder; unmounted on destruction.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const fs::path& where) : path_(where) {
    fs::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=1m") == 0;
    if (!mounted_) error_ = errno;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  int error() const { return error_; }

 private:
  fs::path path_;
  bool mounted_ = false;
  int error_ = 0;
};

// Writes 4 tensors of 512 KiB: 2 MiB, twice what the small file system holds.
void write_big_store(const fs::path& store, WeightStoreWriterOptions options) {
  WeightStoreWriter w(store, std::move(options));
  const std::string bytes = ut::random_bytes(512 * 1024, 77);
  for (int i = 0; i < 4; ++i) {
    std::string name = "t";  // not "t" + to_string(i): GCC 12 warns falsely (-Wrestrict)
    name += std::to_string(i);
    w.add_tensor("layer_000.bin", {name, "f32", {128 * 1024}, bytes.size()},
                 bytes.data());
  }
  w.finish();
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

void check_disk_full_error(const fs::path& parent, WeightStoreWriterOptions options) {
  const fs::path store = parent / "store";
  try {
    write_big_store(store, std::move(options));
    FAIL("writing 2 MiB onto a full file system succeeded");
  } catch (const IoError& e) {
    CHECK(e.error_number() == ENOSPC);
    CHECK_THAT(e.what(), Catch::Contains("No space left on device"));
    CHECK_THAT(e.what(), Catch::Contains("layer_000.bin"));
    CHECK_THAT(e.what(), Catch::Contains("writing tensor t"));
    CHECK_THAT(e.what(), Catch::Contains(store.string()));
  }
  CHECK_FALSE(fs::exists(store));
  CHECK(listing(parent).empty());  // the temporary directory is gone too
}

}  // namespace

TEST_CASE("A store written onto a full file system fails cleanly", "[store]") {
  ut::TempDir dir;
  SECTION("injected ENOSPC") {
    fs::create_directories(dir / "injected");
    WeightStoreWriterOptions options;
    options.io.faults.enospc_after_bytes = 1024 * 1024;
    check_disk_full_error(dir / "injected", options);
  }
  SECTION("a real 1 MiB tmpfs") {
    SmallTmpfs tmpfs(dir / "small");
    if (!tmpfs.mounted()) {
      WARN("cannot mount a 1 MiB tmpfs here (" << std::strerror(tmpfs.error())
                                               << "); only the injected ENOSPC ran");
      return;
    }
    check_disk_full_error(dir / "small", {});
  }
}

}  // namespace strata
