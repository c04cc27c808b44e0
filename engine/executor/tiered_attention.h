// TieredAttention: the executor's KvAttention for compute (layer j, micro-batch k). Each active
// sequence appends its new keys and values where its cache is read from — its device home, the
// device working region (host and disk rows loaded for this compute), or, for host attention
// (cpu_attention, decode), its host home or the host staging region of the disk rows — and
// attends there (host attention: q and the output cross through the compute copy queue). New
// rows are converted to the cache's format once, as they are appended (rounded to f16/bf16, or
// quantized), so every tier, transfer and attention call sees the stored bytes. One attention call per sequence: the
// CPU attention op treats every sequence independently, so this is bitwise what one batched
// call computes.
#pragma once

#include <cstdint>

#include "engine/backend/backend.h"
#include "engine/executor/kv_tiers.h"
#include "engine/models/kv_attention.h"
#include "engine/models/model_forward.h"

namespace strata {

// K and V (seq_bytes each: slots rows of the KvFormat) of row r of a region of n rows:
// K [n, seq] then V [n, seq].
struct RowKv {
  char* k;
  char* v;
};
inline RowKv row_kv(char* region, int64_t n, int64_t r, size_t seq_bytes) {
  return {region + size_t(r) * seq_bytes, region + size_t(n + r) * seq_bytes};
}

struct TieredAttentionBuffers {
  char* work = nullptr;           // device: K, V of the micro-batch's host then disk rows
  char* staging = nullptr;        // host: K, V of its disk rows, as read from the file
  float* host_scratch = nullptr;  // host: q, k, v and out of one decoding sequence
};

class TieredAttention final : public KvAttention {
 public:
  // rows: [batch] physical row of each active sequence. at_home: attention runs where the
  // cache lives (host rows in their home, disk rows in staging) on `host`.
  TieredAttention(const KvTiers& kv, int64_t layer, int64_t k, const int64_t* rows, bool at_home,
                  TieredAttentionBuffers buffers, Backend& host)
      : kv_(kv), layer_(layer), k_(k), rows_(rows), at_home_(at_home), buffers_(buffers),
        host_(host) {}

  void attend(Backend& be, const AttentionStep& s) override;

 private:
  // Where sequence row p's cache is read and appended, and whether on the host.
  RowKv locate(int64_t p, bool& on_host) const;
  // Stores `tokens` new K (or V) rows x (device) at dst in the cache's format: in place where
  // the device is host memory, by the backend's store_rows into device memory, or through
  // host_tmp into a host home or staging.
  void append(Backend& be, const float* x, int64_t tokens, char* dst, bool dst_on_host,
              float* host_tmp) const;

  const KvTiers& kv_;
  int64_t layer_, k_;
  const int64_t* rows_;
  bool at_home_;
  TieredAttentionBuffers buffers_;
  Backend& host_;
};

}  // namespace strata
