// store_rows (the executor's append of new KV rows into a cache region) on every backend: an f32
// target is an exact copy, an f16/bf16 target holds each value rounded to the nearest
// representable half (ties to even; checked by an independent float64 decode here, not by the
// engine's own converter), a q4/q8 target holds the bytes of quant's scalar reference quantizer,
// every one of them. Rows as the KV cache lays them out (engine/models/kv_format.h
// kv_rows_view): [tokens * kv_heads, head_dim] for grouped-query caches too.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/core/quantize_matrix.h"
#include "engine/models/kv_format.h"
#include "ops/harness.h"
#include "ops/reference/half_reference.h"
#include "quant/reference.h"

namespace strata::ops_test {

TEST_CASE("store_rows rounds f16 and bf16 rows to nearest even", "[ops]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(13);
    for (DType t : {DType::f16, DType::bf16}) {
      CAPTURE(dtype_name(t));
      const int64_t rows = 29, cols = 96;
      std::vector<float> x = ut::random_floats(rng, size_t(rows * cols), 3.0f);
      // Exact halves, ties between two halves, tiny (f16 subnormal) and large values.
      x[0] = 1.0f, x[1] = 1.0f + 1.0f / 2048, x[2] = 1.0f + 3.0f / 2048, x[3] = 6e-6f;
      x[4] = -7e4f, x[5] = 65504.0f, x[6] = 1e-9f, x[7] = -0.0f, x[8] = 1.0f + 1.0f / 256;
      DeviceData dx(*be, x), dout(*be, std::vector<uint16_t>(x.size(), 0x7e7e));
      be->store_rows(dx.tensor(DType::f32, {rows, cols}), dout.tensor(t, {rows, cols}));
      const std::vector<uint16_t> got = dout.download<uint16_t>();
      const size_t bad = first_failure(x.size(), [&](size_t i) {
        return rounds_to_nearest_even(x[i], got[i], t);
      });
      CAPTURE(bad, bad < x.size() ? x[bad] : 0.0f, bad < x.size() ? got[bad] : 0);
      CHECK(bad == x.size());
    }
  });
}

TEST_CASE("store_rows writes the reference bytes for f32 and q4 and q8 rows", "[ops][quant]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(11);
    for (const TensorFormat f : {TensorFormat(DType::f32), TensorFormat(DType::q4, 64),
                                 TensorFormat(DType::q8, 64), TensorFormat(DType::q4, 40)}) {
      CAPTURE(format_name(f));
      const int64_t rows = 37, cols = f.group_size == 40 ? 80 : 128;
      const std::vector<float> x = ut::random_floats(rng, size_t(rows * cols), 2.0f);
      const Tensor shape = is_quantized(f.dtype) ? Tensor::packed(nullptr, f, rows, cols)
                                                 : Tensor(nullptr, DType::f32, {rows, cols});
      std::vector<uint8_t> want(shape.nbytes());
      if (is_quantized(f.dtype)) {
        quant::quantize_ref(quant_format_of(f), x.data(), rows, cols, want.data());
      } else {
        std::memcpy(want.data(), x.data(), want.size());
      }
      DeviceData dx(*be, x), dout(*be, std::vector<uint8_t>(want.size(), 0xa5));
      const Tensor out = is_quantized(f.dtype) ? dout.packed(f, {rows, cols})
                                               : dout.tensor(DType::f32, {rows, cols});
      be->store_rows(dx.tensor(DType::f32, {rows, cols}), out);
      CHECK(dout.download<uint8_t>() == want);
    }
  });
}

TEST_CASE("store_rows appends grouped-query KV rows as the cache lays them out", "[ops][quant]") {
  for_each_backend([](OpBackend& be) {
    std::mt19937 rng(12);
    for (DType cache : {DType::f32, DType::f16, DType::bf16, DType::q4, DType::q8}) {
      for (int64_t kv_heads : {1, 2, 8}) {
        const int64_t head_dim = kv_heads == 2 ? 128 : 80, tokens = 5;
        const KvFormat f = kv_format(cache, kv_heads, head_dim);
        CAPTURE(dtype_name(cache), kv_heads, head_dim);
        // New keys of `tokens` tokens: [tokens, kv_heads * head_dim] f32.
        const std::vector<float> x = ut::random_floats(rng, size_t(tokens * f.hidden()));
        std::vector<uint8_t> want(size_t(tokens) * f.slot_bytes());
        store_kv_rows(f, x.data(), tokens, want.data());  // the KV cache's own writer
        DeviceData dx(*be, x), dout(*be, std::vector<uint8_t>(want.size(), 0x5a));
        be->store_rows(dx.tensor(DType::f32, {tokens * kv_heads, head_dim}),
                       kv_rows_view(f, dout.data(), tokens, Place::device));
        CHECK(dout.download<uint8_t>() == want);
      }
    }
  });
}

TEST_CASE("store_rows rejects mismatched shapes and formats", "[ops]") {
  for_each_backend([](OpBackend& be) {
    DeviceData x(*be, std::vector<float>(64)), out(*be, size_t(1) << 12);
    const Tensor xt = x.tensor(DType::f32, {4, 16});
    CHECK_THROWS_AS(be->store_rows(xt, out.tensor(DType::f32, {4, 8})), Error);
    CHECK_THROWS_AS(be->store_rows(xt, out.tensor(DType::i32, {4, 16})), Error);
    CHECK_THROWS_AS(be->store_rows(xt, out.tensor(DType::f16, {4, 8})), Error);
    CHECK_THROWS_AS(be->store_rows(x.tensor(DType::f32, {64}), out.tensor(DType::f32, {64})),
                    Error);
    CHECK_THROWS_AS(be->store_rows(xt, out.packed(TensorFormat(DType::q4, 8), {2, 16})), Error);
    CHECK_NOTHROW(be->store_rows(xt, out.packed(TensorFormat(DType::q4, 8), {4, 16})));
  });
}

}  // namespace strata::ops_test
