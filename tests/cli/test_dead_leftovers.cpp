// remove_dead_leftovers: only names Strata generates, only this host's, only of dead processes.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/dead_leftovers.h"
#include "engine/test_support.h"

namespace strata {

TEST_CASE("remove_dead_leftovers removes only this host's dead temporaries of the given name",
          "[leftovers]") {
  namespace fs = std::filesystem;
  ut::TempDir dir;
  const std::string tag = process_tag();
  const std::string host = tag.substr(tag.find('@') + 1);
  // A PID above the kernel's limit (4194304) belongs to no process.
  const std::string dead = "9999999@" + host;
  for (const std::string& name :
       {"strata-kv-" + dead + "-0",           // dead, this host: removed
        "strata-kv-" + tag + "-1",            // alive (this process): kept
        std::string("strata-kv-9999999@other-host-2"),  // another host's: kept
        std::string("strata-kv-9999999-3"),  // no host: not a name Strata makes now
        std::string("photos.tmp-99999"), "store.tmp-" + dead, "other.tmp-" + dead}) {
    fs::create_directories(dir / name);
    ut::write_file(dir / name / "x", "x");
  }
  CHECK(remove_dead_leftovers(dir.path(), "strata-kv-", "-") == 1);
  CHECK_FALSE(fs::exists(dir / ("strata-kv-" + dead + "-0")));
  CHECK(fs::exists(dir / ("strata-kv-" + tag + "-1")));
  CHECK(fs::exists(dir / "strata-kv-9999999@other-host-2"));
  CHECK(fs::exists(dir / "strata-kv-9999999-3"));
  CHECK(remove_dead_leftovers(dir.path(), "store.tmp-") == 1);
  CHECK_FALSE(fs::exists(dir / ("store.tmp-" + dead)));
  CHECK(fs::exists(dir / "photos.tmp-99999"));
  CHECK(fs::exists(dir / ("other.tmp-" + dead)));
}

}  // namespace strata
