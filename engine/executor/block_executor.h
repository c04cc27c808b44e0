// BlockExecutor: FlexGen's block schedule (Alg. 1) over one block of num_gpu_batches
// micro-batches. For each step, for each stage s (embedding, layer j, head), for each
// micro-batch k, in that zig-zag order: compute (s,k) while
//   - the weights of stage s+1 are prefetched once per stage (disk → host staging on the
//     disk-read worker, then every row into a device arena on the host→device worker) and
//     reused by every k; a streamed embedding stage moves only the rows of its lookup tables
//     that the step's tokens read, so it is loaded when the step starts, not during the head;
//   - the KV cache and hidden state of (s,k+1) are loaded (disk-read, then host→device);
//   - the new KV entries and hidden state of (s,k-1) are stored (device→host, then disk-write).
// Each transfer is a task on its resource's IoWorker, ordered by explicit events: a load waits
// for the last store of the same (layer, micro-batch) and for the store that last used its
// buffer slot; compute waits only for what it reads. There is no barrier per step: stores of
// step i run on while the caller samples and step i+1 starts. With overlap off the same tasks
// run inline, one after another.
//
// Every byte crosses through the backend's DeviceMemory (memory_.device()): the host→device worker drives its load
// queue, the device→host worker its store queue, compute its compute queue; each task finishes
// its queue before its event completes, and compute finishes the backend's work before its
// item's stores are issued, so host-side events order the device too (one CUDA stream each).
//
// Owns the block's KV tiers (disk files included, removed with it), its buffers and workers.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/executor/block_plan.h"
#include "engine/executor/executor_report.h"
#include "engine/executor/io_worker.h"
#include "engine/executor/kv_tiers.h"
#include "engine/executor/weight_tiers.h"
#include "engine/models/model_family.h"

namespace strata {

// One micro-batch's part of a step.
struct MicroBatchStep {
  // in.batch active sequences (0: the micro-batch has finished). in.key_valid is indexed by
  // physical row: [block rows of this micro-batch, plan.kv.slots()].
  StepInput in;
  const int64_t* rows = nullptr;  // [in.batch]: the physical row of each active sequence
  float* logits = nullptr;        // [in.batch, vocab] on the host, written by run_step
};

class BlockExecutor {
 public:
  // `model` (its forward pieces) must outlive the executor.
  BlockExecutor(WeightTiers& weights, const ModelSpec& model, Backend& device,
                const ExecutorOptions& options, const BlockShape& shape, TierMemory memory);
  ~BlockExecutor();  // drains the workers before any buffer goes; never throws

  const BlockPlan& plan() const { return plan_; }
  // Runs one step (prefill when in.first_slot == 0, else decode) of every micro-batch. When
  // `cancel` is set, it stops after the (stage, micro-batch) item in progress: it waits for the
  // transfers in flight and throws Interrupted, so a signal is honoured within one layer of one
  // micro-batch, not a whole step (a prefill of a large block can take minutes).
  void run_step(std::span<const MicroBatchStep> steps, const std::atomic<bool>* cancel = nullptr);
  // Waits for the transfers still in flight after the last step (its stores, the next step's
  // prefetch) and rethrows their errors, so that report() counts every byte the block moved.
  void drain();
  ExecutorReport report() const;

 private:
  struct Item {
    int64_t stage;
    int64_t k;
    int slot;  // buffer slot of its KV and hidden state (0..kSlots-1)
  };
  struct LoadedStage {
    int64_t stage = -1;
    int slot = 0;
    Event ready;
  };

  // The stage's weights, loading them into the slot other than `keep_slot` if needed.
  const LoadedStage& need_stage(int64_t stage, int keep_slot);
  // The rows of the embedding stage that the step's active micro-batches read; forgets the
  // last step's (a loaded embedding stage holds only its own step's rows).
  void pick_embedding_rows(std::span<const MicroBatchStep> steps);
  void issue_loads(const Item& item, const MicroBatchStep& step);
  void compute(const Item& item, const MicroBatchStep& step);
  void issue_stores(const Item& item, const MicroBatchStep& step);
  void rows_on(int64_t k, Place p, const MicroBatchStep& step, std::vector<int64_t>& out) const;
  float* hidden(const Item& item) const;
  char* kv_work(int slot) const { return kv_work_[size_t(slot)].data<char>(); }
  char* kv_staging(int slot) const { return kv_staging_[size_t(slot)].data<char>(); }
  void wait(const Event& e);
  void wait_all(const std::vector<Event>& events);
  bool prefill(const MicroBatchStep& step) const { return step.in.first_slot == 0; }
  bool kv_home_attention(const MicroBatchStep& step) const {
    return policy_.attention == AttentionPlace::kHost && !prefill(step);
  }

  WeightTiers& weights_;
  const ModelConfig& config_;
  const ModelForward& forward_;
  Backend& device_;
  CpuBackend host_backend_;  // attention where the KV cache lives (cpu_attention)
  Policy policy_;
  uint64_t row_gap_bytes_;
  BlockPlan plan_;
  TierMemory memory_;
  KvTiers kv_;

  std::vector<MemoryBlock> hidden_home_;                 // per micro-batch
  std::array<MemoryBlock, BlockPlan::kSlots> hidden_work_;
  std::array<MemoryBlock, BlockPlan::kSlots> kv_work_;     // device
  std::array<MemoryBlock, BlockPlan::kSlots> kv_staging_;  // host
  MemoryBlock logits_;                                      // device
  MemoryBlock host_scratch_;                                // q, k, v, out for host attention
  MemoryBlock scratch_;                                     // device: workspace_, last_rows_
  Workspace workspace_;
  float* last_rows_ = nullptr;                              // [max_batch, hidden] in scratch_

  // Events: what must finish before a buffer or a home may be touched again.
  std::array<LoadedStage, WeightTiers::kSlots> loaded_;
  // The embedding stage's rows for this step; null when the stage is device-resident (nothing
  // moves) and so never picked.
  std::shared_ptr<const StageRanges> embedding_rows_;
  int next_weight_slot_ = 0;
  std::array<std::vector<Event>, BlockPlan::kSlots> slot_busy_;  // stores still using a slot
  std::vector<Event> kv_stored_;      // [j * K + k]: last store of that region
  std::vector<Event> hidden_stored_;  // [k]: last store of the hidden state's host home
  std::vector<std::vector<Event>> item_ready_;  // loads of the item being computed, by slot
  int64_t item_counter_ = 0;

  ResourceTimes own_times_;  // compute and wait (the workers time themselves)
  TransferBytes bytes_;
  TransferBytes kv_bytes_;  // the KV cache's part of bytes_
  mutable std::mutex bytes_mutex_;

  // Last: destroyed first, so every queued transfer finishes while its buffers still exist.
  std::unique_ptr<IoWorker> disk_read_, disk_write_, h2d_, d2h_;
};

}  // namespace strata
