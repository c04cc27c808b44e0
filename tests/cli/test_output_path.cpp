// Outputs never destroy a path the user gave (issue 16, point 1): a symlink is followed and
// stays a symlink; a device is written in place and stays a device; a directory, a missing
// folder or a symlink loop is an InputError before anything is written; two names of one file
// (./a and a, a symlink, a hard link) are recognised as one.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/output_path.h"
#include "engine/test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

bool is_char_device(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

std::string input_error(const fs::path& target, const std::string& what) {
  try {
    AtomicFile f(target, what);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("AtomicFile through a symlink replaces the file it points to, and the link stays",
          "[output]") {
  ut::TempDir dir;
  const auto real = dir / "real.jsonl", link = dir / "link.jsonl";
  ut::write_file(real, "old\n");
  fs::create_symlink("real.jsonl", link);  // relative, as `ln -s` makes it
  {
    AtomicFile f(link, "--output");
    f.stream() << "new\n";
    f.commit();
  }
  CHECK(fs::is_symlink(link));
  CHECK(fs::read_symlink(link) == "real.jsonl");
  CHECK(ut::read_file(real) == "new\n");
  // A dangling link: the file is created where it points.
  const auto dangling = dir / "dangling.jsonl";
  fs::create_symlink(dir / "made.jsonl", dangling);
  {
    AtomicFile f(dangling);
    f.stream() << "made\n";
    f.commit();
  }
  CHECK(fs::is_symlink(dangling));
  CHECK(ut::read_file(dir / "made.jsonl") == "made\n");
}

TEST_CASE("AtomicFile writes a device in place and never renames over it", "[output]") {
  REQUIRE(is_char_device("/dev/null"));
  {
    AtomicFile f("/dev/null", "--metrics");
    f.stream() << "discarded\n";
    f.commit();
  }
  CHECK(is_char_device("/dev/null"));
  CHECK_FALSE(fs::exists("/dev/null.tmp-" + std::to_string(::getpid())));
  if (is_char_device("/dev/full")) {  // a device that fails every write: an error, not a rename
    AtomicFile f("/dev/full", "--metrics");
    f.stream() << std::string(1 << 16, 'x');
    try {
      f.commit();
      FAIL("writing /dev/full succeeded");
    } catch (const Error& e) {  // the machine's failure, not the user's input: exit 1
      CHECK(dynamic_cast<const InputError*>(&e) == nullptr);
      CHECK(std::string(e.what()).find("--metrics /dev/full") != std::string::npos);
    }
    CHECK(is_char_device("/dev/full"));
  }
}

TEST_CASE("AtomicFile keeps a replaced file's permissions", "[output]") {
  ut::TempDir dir;
  const auto target = dir / "private.jsonl";
  ut::write_file(target, "old\n");
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
  {
    AtomicFile f(target);
    f.stream() << "new\n";
    f.commit();
  }
  CHECK(ut::read_file(target) == "new\n");
  CHECK((fs::status(target).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("AtomicFile appends in place to /dev/fd/N: a redirect's file is kept, not renamed over",
          "[output]") {
  ut::TempDir dir;
  const auto log = dir / "log.jsonl";
  ut::write_file(log, "PRECIOUS\n");
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
  REQUIRE(fd >= 0);
  const std::string named = "/dev/fd/" + std::to_string(fd);
  const auto inode_before = fs::status(log).type();
  {
    AtomicFile f(named, "--output");
    f.stream() << "appended\n";
    f.commit();
  }
  ::close(fd);
  CHECK(ut::read_file(log) == "PRECIOUS\nappended\n");
  CHECK(fs::status(log).type() == inode_before);
}

TEST_CASE("resolve_output refuses a directory, a missing folder and a symlink loop, naming them",
          "[output]") {
  ut::TempDir dir;
  CHECK(input_error(dir.path(), "--output").find("is a directory") != std::string::npos);
  const std::string missing = input_error(dir / "nope" / "out.jsonl", "--metrics");
  CHECK(missing.find("--metrics") != std::string::npos);
  CHECK(missing.find("does not exist") != std::string::npos);
  fs::create_symlink("loop-b", dir / "loop-a");
  fs::create_symlink("loop-a", dir / "loop-b");
  CHECK(input_error(dir / "loop-a", "-o").find("symbolic links") != std::string::npos);
  // A link into a missing folder is the folder's problem, named as such.
  fs::create_symlink(dir / "gone" / "x.jsonl", dir / "into-gone");
  CHECK(input_error(dir / "into-gone", "--output").find((dir / "gone").string() + " does not") !=
        std::string::npos);
  // "-" is stdout only where a command says so (run --output); elsewhere not a file named "-".
  CHECK(input_error("-", "--metrics").find("standard output") != std::string::npos);
}

TEST_CASE("same_file and refuse_shared_paths see through spellings, links and hard links",
          "[output]") {
  ut::TempDir dir;
  const auto a = dir / "a.jsonl";
  ut::write_file(a, "x\n");
  fs::create_symlink(a, dir / "sym.jsonl");
  fs::create_hard_link(a, dir / "hard.jsonl");
  CHECK(same_file(a, dir / "." / "a.jsonl"));
  CHECK(same_file(a, dir / "sym.jsonl"));
  CHECK(same_file(a, dir / "hard.jsonl"));
  CHECK_FALSE(same_file(a, dir / "b.jsonl"));
  // Neither exists yet: the same path once resolved.
  CHECK(same_file(dir / "new.jsonl", dir / "sub" / ".." / "new.jsonl"));
  CHECK_FALSE(same_file(dir / "new.jsonl", dir / "other.jsonl"));
  try {
    refuse_shared_paths({{"--output", dir / "out.jsonl"}, {"--metrics", dir / "." / "out.jsonl"}},
                        {});
    FAIL("two outputs naming one file were accepted");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("--metrics") != std::string::npos);
    CHECK(m.find("--output") != std::string::npos);
  }
  try {
    refuse_shared_paths({{"--output", dir / "sym.jsonl"}}, {{"--input", a}});
    FAIL("an output naming the input was accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("overwrite the input") != std::string::npos);
  }
  CHECK_NOTHROW(refuse_shared_paths({{"--output", dir / "o.jsonl"}, {"--metrics", fs::path()}},
                                    {{"--input", a}}));
}

}  // namespace strata
