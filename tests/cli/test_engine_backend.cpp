// Which engine a backend gets: the CUDA backend always runs the offloading executor (the
// all-in-memory model computes on the CPU only), and --policy in-memory on CUDA is one clear
// error before any model file is read. No GPU needed: the choice is made from BackendKind.
#include <catch2/catch.hpp>

#include <vector>

#include "cli/generation_engine.h"
#include "common/error.h"

namespace strata::cli {

TEST_CASE("the CUDA backend runs the executor; in-memory is refused on it", "[cli]") {
  EngineRequest r;
  r.model_dir = "/nonexistent/hf-model";  // not a store: never opened here
  CHECK_FALSE(uses_executor(r));           // CPU, no policy flag: the all-in-memory Generator
  r.backend = BackendKind::cuda;
  CHECK(uses_executor(r));
  r.flags.policy = ExecutionFlags::kInMemory;
  CHECK_FALSE(uses_executor(r));
  const std::vector<SequenceRequest> none;
  CHECK_THROWS_WITH(make_engine_request(r.model_dir, r.flags, 1, none, OptConfig{},
                                        BackendKind::cuda, nullptr),
                    Catch::Contains("--policy in-memory") && Catch::Contains("--backend cuda"));
  CHECK_THROWS_AS(make_engine_request(r.model_dir, r.flags, 1, none, OptConfig{},
                                      BackendKind::cuda, nullptr),
                  InputError);
}

}  // namespace strata::cli
