// AtomicFile: the target appears only on commit(), whole; without commit() nothing is left
// behind (no target, no temporary); an existing target is untouched until commit().
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"
#include "engine/test_support.h"

namespace strata::cli {
namespace {

// Every entry of the folder (to catch a leftover temporary file whatever its name).
std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("AtomicFile commit writes the whole file and leaves no temporary", "[atomic]") {
  ut::TempDir dir;
  const auto target = dir / "out.jsonl";
  std::string expected;
  {
    AtomicFile f(target);
    for (int i = 0; i < 10000; ++i) {
      const std::string line = "{\"id\": " + std::to_string(i) + "}\n";
      f.stream() << line;
      expected += line;
    }
    CHECK_FALSE(std::filesystem::exists(target));  // not visible before commit
    f.commit();
    CHECK(ut::read_file(target) == expected);
  }
  CHECK(ut::read_file(target) == expected);  // the destructor after commit leaves it alone
  CHECK(listing(dir.path()) == std::vector<std::string>{"out.jsonl"});
}

TEST_CASE("AtomicFile without commit leaves neither target nor temporary", "[atomic]") {
  ut::TempDir dir;
  const auto target = dir / "out.jsonl";
  {
    AtomicFile f(target);
    f.stream() << "partial output\n";
    f.stream().flush();
  }
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK(listing(dir.path()).empty());

  // Also when unwinding from an exception.
  try {
    AtomicFile f(target);
    f.stream() << "half";
    throw std::runtime_error("job failed");
  } catch (const std::runtime_error&) {
  }
  CHECK(listing(dir.path()).empty());
}

TEST_CASE("AtomicFile leaves an existing target untouched until commit", "[atomic]") {
  ut::TempDir dir;
  const auto target = dir / "out.jsonl";
  ut::write_file(target, "old contents\n");
  {
    AtomicFile f(target);
    f.stream() << "new contents\n";
    f.stream().flush();
    CHECK(ut::read_file(target) == "old contents\n");
  }
  CHECK(ut::read_file(target) == "old contents\n");  // abandoned: the old file stays
  CHECK(listing(dir.path()) == std::vector<std::string>{"out.jsonl"});
  {
    AtomicFile f(target);
    f.stream() << "new contents\n";
    CHECK(ut::read_file(target) == "old contents\n");
    f.commit();
    CHECK(ut::read_file(target) == "new contents\n");
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{"out.jsonl"});
}

TEST_CASE("AtomicFile in a missing folder is an InputError naming the target", "[atomic]") {
  ut::TempDir dir;
  const auto target = dir / "no_such_dir" / "out.jsonl";
  try {
    AtomicFile f(target);
    FAIL("no InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find(target.string()) != std::string::npos);
  }
}

}  // namespace strata::cli
