// The public Backend methods check shapes and dtypes before any backend computes, and throw one
// strata::Error naming what is wrong; a valid call of the same shapes goes through. On every
// backend, with device tensors (views into one zeroed device buffer), so the valid calls run.
// (Blocks, not Catch sections: a section inside the per-backend loop would run for one backend.)
#include <vector>

#include "common/error.h"
#include "ops/harness.h"

namespace strata::ops_test {

TEST_CASE("backend public methods throw strata::Error on mismatched shapes", "[ops]") {
  for_each_backend([](OpBackend& be) {
    DeviceData buf(*be, std::vector<float>(4096, 0.0f)), hbuf(*be, std::vector<uint16_t>(4096, 0));
    auto f32 = [&](std::initializer_list<int64_t> shape, int64_t at = 0) {
      return Tensor(buf.data<float>() + at, DType::f32, shape, Place::device);
    };
    auto f16 = [&](std::initializer_list<int64_t> shape) {
      return Tensor(hbuf.data(), DType::f16, shape, Place::device);
    };

    {  // linear
      Tensor y = f32({2, 3}, 2048);
      CHECK_THROWS_AS(be->linear(f32({2, 4}), f32({3, 5}), Tensor(), y), Error);  // K
      Tensor y_bad_n = f32({2, 4}, 2048);
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({3, 5}), Tensor(), y_bad_n), Error);
      Tensor y_bad_m = f32({3, 3}, 2048);
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({3, 5}), Tensor(), y_bad_m), Error);
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({3, 5}), f32({4}), y), Error);  // bias
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({3, 5}), f32({1, 3}), y), Error);
      CHECK_THROWS_AS(be->linear(f16({2, 5}), f32({3, 5}), Tensor(), y), Error);  // x is f32
      CHECK_THROWS_AS(be->linear(f32({10}), f32({3, 5}), Tensor(), y), Error);    // rank
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({15}), Tensor(), y), Error);
      Tensor y3 = f32({2, 3, 1}, 2048);
      CHECK_THROWS_AS(be->linear(f32({2, 5}), f32({3, 5}), Tensor(), y3), Error);
      CHECK_NOTHROW(be->linear(f32({2, 5}), f32({3, 5}), f32({3}), y));
    }
    {  // layer_norm and rms_norm
      Tensor y = f32({2, 6}, 2048);
      CHECK_THROWS_AS(be->layer_norm(f32({2, 5}), Tensor(), Tensor(), 1e-5f, y), Error);
      CHECK_THROWS_AS(be->layer_norm(f32({2, 6}), f32({5}), Tensor(), 1e-5f, y), Error);
      CHECK_THROWS_AS(be->layer_norm(f32({2, 6}), Tensor(), f32({7}), 1e-5f, y), Error);
      CHECK_THROWS_AS(be->layer_norm(f32({12}), Tensor(), Tensor(), 1e-5f, y), Error);
      CHECK_THROWS_WITH(be->rms_norm(f32({2, 5}), Tensor(), 1e-6f, y), Catch::Contains("rms_norm"));
      CHECK_THROWS_WITH(be->rms_norm(f32({2, 6}), f32({5}), 1e-6f, y),
                        Catch::Contains("rms_norm gamma"));
      CHECK_THROWS_AS(be->rms_norm(f32({12}), Tensor(), 1e-6f, y), Error);
      CHECK_THROWS_AS(be->rms_norm(f32({2, 6}), Tensor(hbuf.data(), DType::i32, {6}), 1e-6f, y),
                      Error);
      CHECK_THROWS_AS(be->rms_norm(f32({2, 6}), f32({6}), -1.0f, y), Error);
      Tensor y16 = f16({2, 6});
      CHECK_THROWS_AS(be->rms_norm(f32({2, 6}), f32({6}), 1e-6f, y16), Error);
      CHECK_NOTHROW(be->rms_norm(f32({2, 6}), f16({6}), 1e-6f, y));
    }
    {  // rope
      const std::vector<int32_t> positions = {0, 1, 2};
      const std::vector<float> freq = {1.0f, 0.5f, 0.25f, 0.125f};
      Tensor x = f32({3, 16});
      CHECK_THROWS_WITH(be->rope(x, 7, positions.data(), freq), Catch::Contains("even"));
      CHECK_THROWS_WITH(be->rope(x, 6, positions.data(), freq), Catch::Contains("head_dim 6"));
      CHECK_THROWS_WITH(be->rope(x, 8, positions.data(), std::span(freq).first(3)),
                        Catch::Contains("inverse frequencies"));
      CHECK_THROWS_WITH(be->rope(x, 8, nullptr, freq), Catch::Contains("without positions"));
      Tensor x16 = f16({3, 16});
      CHECK_THROWS_AS(be->rope(x16, 8, positions.data(), freq), Error);
      Tensor x1 = f32({48});
      CHECK_THROWS_AS(be->rope(x1, 8, positions.data(), freq), Error);
      CHECK_NOTHROW(be->rope(x, 8, positions.data(), freq));
      CHECK_NOTHROW(be->rope(x, 16, positions.data(), std::vector<float>(8, 1.0f)));
    }
    {  // silu_mul, add, activation, embedding
      Tensor out = f32({2, 3}, 2048);
      CHECK_THROWS_AS(be->silu_mul(f32({2, 3}), f32({3, 2}), out), Error);
      CHECK_THROWS_AS(be->silu_mul(f32({2, 4}), f32({2, 4}), out), Error);
      CHECK_THROWS_AS(be->silu_mul(f16({2, 3}), f32({2, 3}), out), Error);
      CHECK_THROWS_AS(be->silu_mul(f32({6}), f32({6}), out), Error);
      CHECK_NOTHROW(be->silu_mul(f32({2, 3}), f32({2, 3}, 64), out));
      Tensor y = f32({2, 3});
      CHECK_THROWS_AS(be->add(f32({7}), y), Error);
      Tensor yh = f16({2, 3});
      CHECK_THROWS_AS(be->add(f32({2, 3}), yh), Error);
      CHECK_THROWS_AS(be->activation(Activation::relu, yh), Error);
      const int32_t ok_ids[2] = {0, 4}, bad_ids[2] = {0, 5}, neg_ids[2] = {-1, 0};
      CHECK_THROWS_AS(be->embedding(f32({5, 4}), ok_ids, Accumulate::overwrite, y), Error);
      CHECK_THROWS_AS(be->embedding(f32({5, 3}), bad_ids, Accumulate::overwrite, y), Error);
      CHECK_THROWS_AS(be->embedding(f32({5, 3}), neg_ids, Accumulate::add, y), Error);
    }
    {  // attention
      std::vector<uint8_t> valid(64, 1);
      AttentionArgs a;
      a.q = f32({2, 3, 8});
      a.k_cache = f32({2, 5, 8});
      a.v_cache = f32({2, 5, 8});
      a.out = f32({2, 3, 8}, 2048);
      a.key_valid = valid.data();
      a.num_heads = 2;
      a.first_query_slot = 2;
      CHECK_NOTHROW(be->attention(a));
      AttentionArgs bad = a;
      bad.first_query_slot = 3;  // queries at slots 3..5 of a 5-slot cache
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.first_query_slot = -1;
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.num_heads = 3;
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.num_heads = 0;
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.v_cache = f32({2, 4, 8});
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.k_cache = f32({1, 5, 8});
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.out = f32({2, 3, 4}, 2048);
      CHECK_THROWS_AS(be->attention(bad), Error);
      bad = a;
      bad.q = f32({6, 8});
      CHECK_THROWS_AS(be->attention(bad), Error);
      // Grouped heads: 1 KV head of head_dim 4 is a 4-wide cache; 8 wide is 2 KV heads.
      AttentionArgs grouped = a;
      grouped.num_kv_heads = 1;
      CHECK_THROWS_WITH(be->attention(grouped), Catch::Contains("1 KV heads"));
      grouped.k_cache = f32({2, 5, 4});
      grouped.v_cache = f32({2, 5, 4});
      CHECK_NOTHROW(be->attention(grouped));
      grouped.num_kv_heads = 3;
      CHECK_THROWS_WITH(be->attention(grouped), Catch::Contains("KV heads do not divide"));
      grouped.num_kv_heads = -1;
      CHECK_THROWS_AS(be->attention(grouped), Error);
      bad = a;
      bad.window = -2;
      CHECK_THROWS_WITH(be->attention(bad), Catch::Contains("window"));
      bad.window = 2;
      CHECK_NOTHROW(be->attention(bad));
    }
    buf.floats();  // every queued op has run (and failed loudly, if it was going to)
  });
}

}  // namespace strata::ops_test
