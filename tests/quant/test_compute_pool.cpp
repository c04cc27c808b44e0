// ComputePool runs every task exactly once per run, on several threads, run after run (the
// workers sleep and wake between runs), and a pool of one thread runs everything on the caller.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/error.h"
#include "quant/compute_pool.h"

using strata::quant::ComputePool;

TEST_CASE("compute pool runs each task exactly once per run", "[quant]") {
  for (int threads : {1, 2, 3, 5}) {
    ComputePool pool(threads);
    CHECK(pool.threads() == threads);
    for (int64_t tasks : {0, 1, 2, 7, 64, 1000}) {
      for (int round = 0; round < 20; ++round) {
        CAPTURE(threads, tasks, round);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
        for (auto& h : hits) h = 0;
        pool.run(tasks, [&](int64_t t) { hits[size_t(t)].fetch_add(1); });
        for (int64_t t = 0; t < tasks; ++t) REQUIRE(hits[size_t(t)].load() == 1);
      }
    }
  }
}

// The threads that ran `tasks` tasks which each wait (boundedly) for a second task to start: any
// run that finishes with one thread alone shows that no worker took part.
static std::set<std::thread::id> threads_taking_part(ComputePool& pool, int64_t tasks) {
  std::mutex m;
  std::set<std::thread::id> seen;
  std::atomic<int> started{0};
  pool.run(tasks, [&](int64_t) {
    started.fetch_add(1);
    for (int spin = 0; started.load() < 2 && spin < 100000000; ++spin) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(m);
    seen.insert(std::this_thread::get_id());
  });
  return seen;
}

TEST_CASE("compute pool uses its workers and the caller", "[quant]") {
  ComputePool pool(3);
  CHECK(threads_taking_part(pool, 3).size() >= 2);
  CHECK_THROWS_AS(ComputePool(0), strata::Error);
}

// After kSpinSeconds idle the workers sleep; the next run must wake them (a lost wake-up would
// leave the caller alone).
TEST_CASE("compute pool wakes workers that went to sleep", "[quant]") {
  ComputePool pool(3);
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    std::this_thread::sleep_for(std::chrono::duration<double>(ComputePool::kSpinSeconds * 20));
    REQUIRE(threads_taking_part(pool, 2).size() == 2);
  }
}
