// Tiled online-softmax attention (FlashAttention, Dao et al. 2022, Alg. 1) on CUDA cores, for
// prefill, chunked prefill and decode alike. Scores exist only for one tile of 32 keys at a time,
// so a long prompt never materialises its [T, S] score matrix.
//
// Grid: x = blocks of kQueriesPerBlock queries, y = heads, z = sequences. Block: kWarps warps;
// warp w owns queries w, w + kWarps, ... of the block (interleaved, so causal work is spread).
// Per tile of 32 key slots the block stages K [32][Dp + 1] (padded: lane j reads row j, so the
// +1 keeps the 32 lanes on 32 banks), V [32][Dp] and the tile's visibility flags in shared
// memory; masked slots are staged as zeros and never read from global memory, so garbage (NaN) in
// padding slots cannot leak in. Each lane scores one key of the tile (its own dot product over d,
// q broadcast from shared memory), the warp takes the tile max and sum with shuffles, rescales its
// running output (lane owns dims lane, lane + 32, ...) and accumulates p_j v_j.
// fp32 throughout, expf (not __expf): results within fp32 rounding of the float64 reference.
// The cache's elements are widened (f16, bf16: exact) or dequantized (q4, q8: the scalar
// reference's fmaf(code, scale, min), bit-identical) as they are staged into the fp32 tile, so
// the arithmetic after staging is the same for every storage and no fp32 copy of the cache
// exists. Half and packed storage are compiled for sm_75/sm_90 but not yet run on a GPU (no
// session had one): tests/ops checks them against float64 wherever a GPU answers.
// Grouped-query heads: the block of query head h stages the tiles of KV head h / (heads /
// kv_heads), so the heads of a group each read it (once per head, as without grouping; sharing
// the tile across a group is left for when a profile says it matters). A sliding window starts
// the block's tile loop at the oldest slot its first query sees, and each query masks the slots
// older than its own window. GQA and the window are compiled for sm_90 but not yet run on a GPU
// (no session had one): tests/ops checks them against float64 wherever a GPU answers.
#include <cmath>

#include "common/error.h"
#include "engine/backend/cuda/cuda_check.h"
#include "engine/backend/cuda/cuda_elem.cuh"
#include "quant/group_codec.h"

namespace strata::cuda::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kQueriesPerWarp = 4;
constexpr int kQueriesPerBlock = kWarps * kQueriesPerWarp;
constexpr int kKeysPerTile = 32;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ inline float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

// Floats of shared memory for head_dim padded to Dp = 32 * chunks.
constexpr size_t shared_floats(int chunks) {
  const size_t dp = size_t(32 * chunks);
  return kKeysPerTile * (dp + 1) + kKeysPerTile * dp + kQueriesPerBlock * dp + kKeysPerTile;
}

// Element c of KV head `kv_head` of cache row `slot` (= b * slots + s) as fp32.
template <KvStorage kStorage>
__device__ inline float load_kv(const void* cache, int64_t slot, int64_t kv_heads,
                                int64_t kv_head, int64_t d, int32_t group, int64_t c) {
  const int64_t row = slot * kv_heads + kv_head;  // one head's row of d elements
  if constexpr (kStorage == KvStorage::f32) {
    return static_cast<const float*>(cache)[row * d + c];
  } else if constexpr (kStorage == KvStorage::f16) {
    return __half2float(static_cast<const __half*>(cache)[row * d + c]);
  } else if constexpr (kStorage == KvStorage::bf16) {
    return __uint_as_float(uint32_t(static_cast<const uint16_t*>(cache)[row * d + c]) << 16);
  } else {
    const quant::QuantFormat f{kStorage == KvStorage::q4 ? quant::QuantBits::k4
                                                         : quant::QuantBits::k8,
                               group, quant::GroupAxis::kCols};
    return quant::dequantize_element(f, static_cast<const uint8_t*>(cache), d, row, c);
  }
}

template <int kChunks, KvStorage kStorage>  // kChunks = ceil(head_dim / 32)
__global__ void __launch_bounds__(kWarps * 32) flash_attention_kernel(FlashAttentionParams p) {
  constexpr int kDp = 32 * kChunks;
  extern __shared__ float smem[];
  float* ks = smem;                                   // [32][kDp + 1]
  float* vs = ks + kKeysPerTile * (kDp + 1);          // [32][kDp]
  float* qs = vs + kKeysPerTile * kDp;                // [kQueriesPerBlock][kDp]
  float* visible = qs + kQueriesPerBlock * kDp;       // [32]: 1 where the slot may be attended

  const int64_t b = blockIdx.z, h = blockIdx.y, t0 = int64_t(blockIdx.x) * kQueriesPerBlock;
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t e = p.hidden, d = e / p.heads, T = p.queries, S = p.slots;
  const int64_t kv_heads = p.kv_heads > 0 ? p.kv_heads : p.heads;
  const int64_t kv_head = h / (p.heads / kv_heads);

  for (int i = threadIdx.x; i < kQueriesPerBlock * kDp; i += kWarps * 32) {
    const int64_t t = t0 + i / kDp, c = i % kDp;
    qs[i] = (t < T && c < d) ? p.q[(b * T + t) * e + h * d + c] : 0.0f;
  }
  // Part slots the block's last query may see: [0, kv_end).
  const int64_t t_last = (t0 + kQueriesPerBlock < T ? t0 + kQueriesPerBlock : T) - 1;
  int64_t kv_end = p.first_query_slot + t_last + 1 - p.slot_offset;
  kv_end = kv_end < 0 ? 0 : kv_end > S ? S : kv_end;
  // With a window, the block's first query sees the oldest slots: [kv_begin, kv_end).
  int64_t kv_begin = 0;
  if (p.window > 0) {
    kv_begin = p.first_query_slot + t0 - p.window + 1 - p.slot_offset;
    kv_begin = kv_begin < 0 ? 0 : kv_begin > kv_end ? kv_end : kv_begin;
  }

  float m[kQueriesPerWarp], l[kQueriesPerWarp], acc[kQueriesPerWarp][kChunks];
#pragma unroll
  for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
    m[qq] = -INFINITY;
    l[qq] = 0.0f;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) acc[qq][c] = 0.0f;
  }

  for (int64_t s0 = kv_begin; s0 < kv_end; s0 += kKeysPerTile) {
    __syncthreads();  // the previous tile is consumed (and, first time, q is staged)
    if (threadIdx.x < kKeysPerTile) {
      const int64_t s = s0 + threadIdx.x;
      visible[threadIdx.x] = (s < kv_end && p.key_valid[b * S + s]) ? 1.0f : 0.0f;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < kKeysPerTile * kDp; i += kWarps * 32) {
      const int j = i / kDp, c = i % kDp;
      float kv = 0.0f, vv = 0.0f;
      if (visible[j] != 0.0f && c < d) {
        const int64_t slot = b * S + s0 + j;
        kv = load_kv<kStorage>(p.k, slot, kv_heads, kv_head, d, p.kv_group_size, c);
        vv = load_kv<kStorage>(p.v, slot, kv_heads, kv_head, d, p.kv_group_size, c);
      }
      ks[j * (kDp + 1) + c] = kv;
      vs[j * kDp + c] = vv;
    }
    __syncthreads();

#pragma unroll
    for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
      const int qi = qq * kWarps + warp;
      const int64_t t = t0 + qi;
      if (t >= T) continue;  // warp-uniform
      // Part slot s is visible to query t when limit - window < s <= limit (causal, window).
      const int64_t limit = p.first_query_slot + t - p.slot_offset;
      const int64_t s = s0 + lane;
      float score = -INFINITY;
      if (visible[lane] != 0.0f && s <= limit && (p.window == 0 || s > limit - p.window)) {
        const float* qrow = qs + qi * kDp;
        const float* krow = ks + lane * (kDp + 1);
        float dot = 0.0f;
        for (int64_t c = 0; c < d; ++c) dot = fmaf(qrow[c], krow[c], dot);
        score = dot * p.scale;
      }
      const float tile_max = warp_max(score);
      if (tile_max == -INFINITY) continue;  // warp-uniform: nothing visible in this tile
      const float m_new = fmaxf(m[qq], tile_max);
      const float correction = expf(m[qq] - m_new);  // 0 while nothing was seen (m = -inf)
      const float prob = expf(score - m_new);        // 0 for invisible slots
      l[qq] = l[qq] * correction + warp_sum(prob);
#pragma unroll
      for (int c = 0; c < kChunks; ++c) acc[qq][c] *= correction;
      for (int j = 0; j < kKeysPerTile; ++j) {
        const float pj = __shfl_sync(kFullMask, prob, j);
        if (pj == 0.0f) continue;  // uniform: pj is the same on every lane
        const float* vrow = vs + j * kDp + lane;
#pragma unroll
        for (int c = 0; c < kChunks; ++c) acc[qq][c] = fmaf(pj, vrow[32 * c], acc[qq][c]);
      }
      m[qq] = m_new;
    }
  }

#pragma unroll
  for (int qq = 0; qq < kQueriesPerWarp; ++qq) {
    const int64_t t = t0 + qq * kWarps + warp;
    if (t >= T) continue;
    const float inv = l[qq] > 0.0f ? 1.0f / l[qq] : 0.0f;
    float* out = p.out + (b * T + t) * e + h * d;
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const int64_t i = 32 * c + lane;
      if (i < d) out[i] = acc[qq][c] * inv;
    }
    if (p.max != nullptr && lane == 0) {
      p.max[(b * T + t) * p.heads + h] = m[qq];
      p.sum[(b * T + t) * p.heads + h] = l[qq];
    }
  }
}

template <int kChunks, KvStorage kStorage>
void launch(const FlashAttentionParams& p, Stream stream) {
  const size_t bytes = shared_floats(kChunks) * sizeof(float);
  static_assert(shared_floats(kMaxHeadDim / 32) * sizeof(float) <= 48 * 1024,
                "attention tiles must fit the default 48 KiB of shared memory (sm_75)");
  const int64_t blocks = (p.queries + kQueriesPerBlock - 1) / kQueriesPerBlock;
  const dim3 grid(unsigned(blocks), unsigned(p.heads), unsigned(p.batch));
  flash_attention_kernel<kChunks, kStorage><<<grid, kWarps * 32, bytes, stream>>>(p);
  STRATA_CUDA_CHECK_LAUNCH("flash_attention_kernel");
}

template <KvStorage kStorage>
void launch_for_head_dim(const FlashAttentionParams& p, int64_t d, Stream stream) {
  switch ((d + 31) / 32) {
    case 1: return launch<1, kStorage>(p, stream);
    case 2: return launch<2, kStorage>(p, stream);
    case 3: return launch<3, kStorage>(p, stream);
    default: return launch<4, kStorage>(p, stream);
  }
}

}  // namespace

void flash_attention(const FlashAttentionParams& p, Stream stream) {
  STRATA_CHECK(p.heads > 0 && p.hidden > 0 && p.hidden % p.heads == 0, "attention: hidden ",
               p.hidden, " over ", p.heads, " heads");
  STRATA_CHECK(p.kv_heads >= 0 && (p.kv_heads == 0 || p.heads % p.kv_heads == 0),
               "attention: ", p.kv_heads, " KV heads for ", p.heads, " query heads");
  STRATA_CHECK(p.window >= 0, "attention window ", p.window);
  const int64_t d = p.hidden / p.heads;
  STRATA_CHECK(d <= kMaxHeadDim, "CUDA attention supports head_dim <= ", kMaxHeadDim, ", got ",
               d);
  STRATA_CHECK((p.max == nullptr) == (p.sum == nullptr), "attention: max and sum go together");
  STRATA_CHECK(p.batch <= 65535 && p.heads <= 65535, "attention grid: ", p.batch,
               " sequences x ", p.heads, " heads exceed the grid's y/z limits");
  STRATA_CHECK(p.slot_offset >= 0 && p.first_query_slot >= 0, "attention slots: first ",
               p.first_query_slot, ", offset ", p.slot_offset);
  if (p.batch == 0 || p.queries == 0) return;
  STRATA_CHECK((p.queries + kQueriesPerBlock - 1) / kQueriesPerBlock <= INT32_MAX,
               "attention: ", p.queries, " queries exceed one grid");
  if (p.kv_storage == KvStorage::q4 || p.kv_storage == KvStorage::q8) {
    STRATA_CHECK(p.kv_group_size >= 8 && p.kv_group_size % 8 == 0, "attention: packed KV group ",
                 p.kv_group_size, " is not a multiple of 8");
  }
  switch (p.kv_storage) {
    case KvStorage::f32: return launch_for_head_dim<KvStorage::f32>(p, d, stream);
    case KvStorage::f16: return launch_for_head_dim<KvStorage::f16>(p, d, stream);
    case KvStorage::bf16: return launch_for_head_dim<KvStorage::bf16>(p, d, stream);
    case KvStorage::q4: return launch_for_head_dim<KvStorage::q4>(p, d, stream);
    case KvStorage::q8: return launch_for_head_dim<KvStorage::q8>(p, d, stream);
  }
  throw Error(str_cat("attention: unknown KV storage ", int(p.kv_storage)));
}

}  // namespace strata::cuda::kernels
