#include "engine/executor/block_executor.h"

#include <chrono>

#include "common/error.h"
#include "engine/executor/tiered_attention.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Queues slots [first, first + count) of one sequence's K and V from one region row to another,
// as stored (slot_bytes per slot: fp32 or packed rows).
void copy_slots(DeviceMemory& memory, CopyQueue queue, RowKv dst, RowKv src, int64_t first,
                int64_t count, size_t slot_bytes) {
  const size_t at = size_t(first) * slot_bytes, n = size_t(count) * slot_bytes;
  memory.copy(queue, dst.k + at, src.k + at, n);
  memory.copy(queue, dst.v + at, src.v + at, n);
}

// The host backend computes with --threads (0: every core the process may use).
CpuBackendOptions host_backend_options(int cpu_threads) {
  CpuBackendOptions o;
  if (cpu_threads > 0) o.threads = cpu_threads;
  return o;
}

}  // namespace

BlockExecutor::BlockExecutor(WeightTiers& weights, const ModelSpec& model, Backend& device,
                             const ExecutorOptions& options, const BlockShape& shape,
                             TierMemory memory)
    : weights_(weights), config_(model.config), forward_(*model.forward), device_(device),
      host_backend_(host_backend_options(options.cpu_threads)), policy_(options.policy),
      row_gap_bytes_(options.row_gap_bytes), plan_(plan_block(model, options.policy, shape)),
      memory_(std::move(memory)), kv_(plan_.kv, memory_, options.offload_dir, options.warn) {
  STRATA_CHECK(&memory_.device() == &device.memory(),
               "the executor's tier memory must come from its backend's device memory");
  for (size_t k = 0; k < plan_.hidden_home.size(); ++k) {
    hidden_home_.push_back(
        memory_.allocate(plan_.hidden_home[k], MemoryUse::activations, plan_.hidden_bytes[k]));
  }
  for (int x = 0; x < BlockPlan::kSlots; ++x) {
    hidden_work_[size_t(x)] =
        memory_.allocate(Place::device, MemoryUse::buffers, plan_.hidden_work_bytes);
    kv_work_[size_t(x)] = memory_.allocate(Place::device, MemoryUse::buffers, plan_.kv.work_bytes());
    kv_staging_[size_t(x)] =
        memory_.allocate(Place::host, MemoryUse::buffers, plan_.kv.staging_bytes());
  }
  logits_ = memory_.allocate(Place::device, MemoryUse::buffers, plan_.logits_bytes);
  host_scratch_ = memory_.allocate(Place::host, MemoryUse::buffers, plan_.host_scratch_bytes);
  scratch_ = memory_.allocate(Place::device, MemoryUse::buffers, plan_.scratch_bytes);
  const std::vector<int64_t> role_cols = forward_.workspace_cols();
  const size_t workspace_floats = Workspace::block_floats(plan_.max_step_rows, role_cols);
  workspace_ = Workspace(scratch_.data(), workspace_floats * sizeof(float), plan_.max_step_rows,
                         role_cols);
  last_rows_ = scratch_.data<float>() + workspace_floats;
  kv_stored_.resize(size_t(config_.num_layers) * shape.batches.size());
  hidden_stored_.resize(shape.batches.size());
  item_ready_.resize(BlockPlan::kSlots);
  disk_read_ = std::make_unique<IoWorker>("disk read", policy_.overlap);
  disk_write_ = std::make_unique<IoWorker>("disk write", policy_.overlap);
  h2d_ = std::make_unique<IoWorker>("host to device", policy_.overlap);
  d2h_ = std::make_unique<IoWorker>("device to host", policy_.overlap);
}

BlockExecutor::~BlockExecutor() {
  // Workers first (each drains its queue), while every buffer their tasks touch still exists.
  d2h_.reset();
  h2d_.reset();
  disk_write_.reset();
  disk_read_.reset();
}

void BlockExecutor::wait(const Event& e) {
  const auto start = Clock::now();
  wait_for(e);
  own_times_.wait += seconds_since(start);
}

void BlockExecutor::wait_all(const std::vector<Event>& events) {
  for (const Event& e : events) wait(e);
}

const BlockExecutor::LoadedStage& BlockExecutor::need_stage(int64_t stage, int keep_slot) {
  for (const LoadedStage& l : loaded_) {
    if (l.stage == stage) return l;
  }
  const int slot = keep_slot == 0 ? 1 : 0;
  LoadedStage& l = loaded_[size_t(slot)];
  const Event previous = l.ready;  // the slot's last load, finished before it is overwritten
  l.stage = stage;
  l.slot = slot;
  l.ready = Event();
  if (weights_.resident(stage)) return l;
  // The embedding stage's rows stay alive with the tasks that read them.
  std::shared_ptr<const StageRanges> rows = stage == 0 ? embedding_rows_ : nullptr;
  Event read;
  if (weights_.layout().stages[size_t(stage)].staging_bytes > 0) {
    read = disk_read_->submit({previous}, [this, stage, slot, rows] {
      const uint64_t n = weights_.read_disk_rows(stage, slot, rows.get());
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.disk_read += n;
    });
  }
  l.ready = h2d_->submit({previous, read}, [this, stage, slot, rows] {
    const uint64_t n = weights_.assemble(stage, slot, rows.get());
    std::lock_guard<std::mutex> lock(bytes_mutex_);
    bytes_.h2d += n;
  });
  return l;
}

void BlockExecutor::pick_embedding_rows(std::span<const MicroBatchStep> steps) {
  if (weights_.resident(0)) return;
  std::vector<TableRows> wanted;
  for (const MicroBatchStep& step : steps) {
    if (step.in.batch == 0) continue;
    for (TableRows& t : forward_.lookup_rows(step.in)) wanted.push_back(std::move(t));
  }
  embedding_rows_ = std::make_shared<const StageRanges>(
      stage_ranges(weights_.layout(), 0, wanted, row_gap_bytes_));
  for (LoadedStage& l : loaded_) {
    if (l.stage == 0) l.stage = -1;  // holds another step's rows; its event still orders the slot
  }
}

void BlockExecutor::rows_on(int64_t k, Place p, const MicroBatchStep& step,
                            std::vector<int64_t>& out) const {
  out.clear();
  const KvRows& r = plan_.kv.rows(k, p);
  for (int64_t a = 0; a < step.in.batch; ++a) {
    if (r.contains(step.rows[a])) out.push_back(step.rows[a]);
  }
}

float* BlockExecutor::hidden(const Item& item) const {
  return plan_.hidden_home[size_t(item.k)] == Place::device
             ? hidden_home_[size_t(item.k)].data<float>()
             : hidden_work_[size_t(item.slot)].data<float>();
}

void BlockExecutor::issue_loads(const Item& item, const MicroBatchStep& step) {
  const int x = item.slot;
  const int64_t k = item.k, e = config_.hidden_size;
  std::vector<Event>& ready = item_ready_[size_t(x)];
  ready.clear();
  const std::vector<Event> busy = slot_busy_[size_t(x)];
  // Compute writes the slot's buffers (prefill keys, the embedding's hidden state) even when
  // nothing is loaded into them: it waits for the stores still reading the slot's last item.
  ready = busy;
  if (item.stage > 0 && plan_.hidden_home[size_t(k)] == Place::host) {
    std::vector<Event> after = busy;
    after.push_back(hidden_stored_[size_t(k)]);
    const size_t bytes = size_t(step.in.batch * step.in.new_tokens * e) * sizeof(float);
    ready.push_back(h2d_->submit(std::move(after), [this, x, k, bytes] {
      memory_.device().copy(CopyQueue::load, hidden_work_[size_t(x)].data(),
                          hidden_home_[size_t(k)].data(), bytes);
      memory_.device().finish(CopyQueue::load);
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.h2d += bytes;
    }));
  }
  const bool layer = item.stage >= 1 && item.stage <= config_.num_layers;
  if (!layer || prefill(step)) return;
  const int64_t j = item.stage - 1, filled = step.in.first_slot;
  std::vector<int64_t> host_rows, disk_rows;
  rows_on(k, Place::host, step, host_rows);
  rows_on(k, Place::disk, step, disk_rows);
  const Event stored = kv_stored_[size_t(j * int64_t(hidden_stored_.size()) + k)];
  std::vector<Event> after = busy;
  after.push_back(stored);
  Event read;
  if (!disk_rows.empty()) {
    read = disk_read_->submit(after, [this, j, k, x, filled, disk_rows] {
      const uint64_t n = kv_.read_disk(j, k, disk_rows, filled, kv_staging(x));
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.disk_read += n;
      kv_bytes_.disk_read += n;
    });
  }
  if (kv_home_attention(step)) {  // attention reads the host home and the staging in place
    ready.push_back(stored);
    ready.push_back(read);
    return;
  }
  if (host_rows.empty() && disk_rows.empty()) return;
  after.push_back(read);
  ready.push_back(h2d_->submit(std::move(after), [this, j, k, x, filled, host_rows, disk_rows] {
    const KvLayout& kv = kv_.layout();
    const KvRows& host = kv.rows(k, Place::host);
    const KvRows& disk = kv.rows(k, Place::disk);
    const size_t sf = kv.seq_bytes(), row = kv.row_bytes();
    const int64_t n_work = host.count + disk.count;
    char* staging = kv_staging(x);
    const CopyQueue q = CopyQueue::load;
    for (int64_t p : host_rows) {
      copy_slots(memory_.device(), q, row_kv(kv_work(x), n_work, p - host.first, sf),
                 row_kv(kv_.home(j, k, Place::host), host.count, p - host.first, sf), 0, filled,
                 row);
    }
    for (int64_t p : disk_rows) {
      copy_slots(memory_.device(), q, row_kv(kv_work(x), n_work, p - host.first, sf),
                 row_kv(staging, disk.count, p - disk.first, sf), 0, filled, row);
    }
    memory_.device().finish(q);
    const uint64_t n = uint64_t(host_rows.size() + disk_rows.size()) * 2 * uint64_t(filled) * row;
    std::lock_guard<std::mutex> lock(bytes_mutex_);
    bytes_.h2d += n;
    kv_bytes_.h2d += n;
  }));
}

void BlockExecutor::compute(const Item& item, const MicroBatchStep& step) {
  const auto start = Clock::now();
  const int64_t e = config_.hidden_size, b = step.in.batch, t = step.in.new_tokens;
  const int weight_slot = need_stage(item.stage, -1).slot;
  const StageWeights w = weights_.stage_weights(item.stage, weight_slot);
  Tensor h(hidden(item), DType::f32, {b * t, e}, Place::device);
  if (item.stage == 0) {
    forward_.embed(device_, w, step.in, h, workspace_);
  } else if (item.stage <= config_.num_layers) {
    const TieredAttentionBuffers buffers{kv_work(item.slot), kv_staging(item.slot),
                                         host_scratch_.data<float>()};
    TieredAttention attention(kv_, item.stage - 1, item.k, step.rows, kv_home_attention(step),
                              buffers, host_backend_);
    forward_.layer(device_, w, item.stage - 1, step.in, attention, h, workspace_);
  } else {
    // Only the last new position of each sequence needs logits (prefill included): the rows
    // themselves when decoding, else gathered on the device.
    Tensor last = h;
    if (t > 1) {
      for (int64_t a = 0; a < b; ++a) {
        memory_.device().copy(CopyQueue::compute, last_rows_ + a * e,
                            h.data<float>() + ((a + 1) * t - 1) * e, size_t(e) * sizeof(float));
      }
      last = Tensor(last_rows_, DType::f32, {b, e}, Place::device);
    }
    Tensor logits(logits_.data(), DType::f32, {b, config_.vocab_size}, Place::device);
    forward_.head(device_, w, last, logits, workspace_);
    memory_.device().copy(CopyQueue::compute, step.logits, logits_.data(), logits.nbytes());
  }
  // Loads into this item's buffers and stores out of them run on other queues once compute
  // returns: its work must be done, not just queued.
  memory_.device().finish(CopyQueue::compute);
  own_times_.compute += seconds_since(start);
}

void BlockExecutor::issue_stores(const Item& item, const MicroBatchStep& step) {
  const int x = item.slot;
  const int64_t k = item.k, e = config_.hidden_size;
  std::vector<Event>& busy = slot_busy_[size_t(x)];
  busy.clear();
  const int64_t last_stage = config_.num_layers + 1;
  if (item.stage < last_stage && plan_.hidden_home[size_t(k)] == Place::host) {
    const size_t bytes = size_t(step.in.batch * step.in.new_tokens * e) * sizeof(float);
    hidden_stored_[size_t(k)] = d2h_->submit({}, [this, x, k, bytes] {
      memory_.device().copy(CopyQueue::store, hidden_home_[size_t(k)].data(),
                          hidden_work_[size_t(x)].data(), bytes);
      memory_.device().finish(CopyQueue::store);
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.d2h += bytes;
    });
    busy.push_back(hidden_stored_[size_t(k)]);
  }
  const bool layer = item.stage >= 1 && item.stage <= config_.num_layers;
  if (!layer) return;
  const int64_t j = item.stage - 1, first = step.in.first_slot, count = step.in.new_tokens;
  std::vector<int64_t> host_rows, disk_rows;
  rows_on(k, Place::host, step, host_rows);
  rows_on(k, Place::disk, step, disk_rows);
  Event& stored = kv_stored_[size_t(j * int64_t(hidden_stored_.size()) + k)];
  Event copied;
  if (!kv_home_attention(step) && !(host_rows.empty() && disk_rows.empty())) {
    copied = d2h_->submit({}, [this, j, k, x, first, count, host_rows, disk_rows] {
      const KvLayout& kv = kv_.layout();
      const KvRows& host = kv.rows(k, Place::host);
      const KvRows& disk = kv.rows(k, Place::disk);
      const size_t sf = kv.seq_bytes(), row = kv.row_bytes();
      const int64_t n_work = host.count + disk.count;
      char* staging = kv_staging(x);
      const CopyQueue q = CopyQueue::store;
      for (int64_t p : host_rows) {
        copy_slots(memory_.device(), q,
                   row_kv(kv_.home(j, k, Place::host), host.count, p - host.first, sf),
                   row_kv(kv_work(x), n_work, p - host.first, sf), first, count, row);
      }
      for (int64_t p : disk_rows) {
        copy_slots(memory_.device(), q, row_kv(staging, disk.count, p - disk.first, sf),
                   row_kv(kv_work(x), n_work, p - host.first, sf), first, count, row);
      }
      memory_.device().finish(q);
      const uint64_t n = uint64_t(host_rows.size() + disk_rows.size()) * 2 * uint64_t(count) * row;
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.d2h += n;
      kv_bytes_.d2h += n;
    });
    stored = copied;
  }
  if (!disk_rows.empty()) {
    stored = disk_write_->submit({copied}, [this, j, k, x, first, count, disk_rows] {
      const uint64_t n = kv_.write_disk(j, k, disk_rows, first, count, kv_staging(x));
      std::lock_guard<std::mutex> lock(bytes_mutex_);
      bytes_.disk_write += n;
      kv_bytes_.disk_write += n;
    });
  }
  busy.push_back(stored);
}

void BlockExecutor::run_step(std::span<const MicroBatchStep> steps,
                             const std::atomic<bool>* cancel) {
  STRATA_CHECK(steps.size() == plan_.hidden_home.size(), steps.size(), " micro-batch steps for ",
               plan_.hidden_home.size(), " micro-batches");
  const int64_t stages = weights_.stage_count();
  pick_embedding_rows(steps);
  std::vector<Item> items;
  for (int64_t s = 0; s < stages; ++s) {
    for (int64_t k = 0; k < int64_t(steps.size()); ++k) {
      if (steps[size_t(k)].in.batch > 0) {
        items.push_back({s, k, int(item_counter_++ % BlockPlan::kSlots)});
      }
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const MicroBatchStep& step = steps[size_t(it.k)];
    if (i == 0 || items[i - 1].stage != it.stage) {
      // Stage s's weights (prefetched during stage s-1), then stage s+1's prefetch, once per
      // stage; after the head comes the next step's embedding, unless it is streamed: its rows
      // depend on tokens not sampled yet.
      const LoadedStage& current = need_stage(it.stage, -1);
      const int64_t next = it.stage + 1 < stages ? it.stage + 1 : 0;
      if (next != 0 || embedding_rows_ == nullptr) need_stage(next, current.slot);
    }
    if (i == 0) issue_loads(it, step);
    const bool next_same_k = i + 1 < items.size() && items[i + 1].k == it.k;
    // Load (s, k+1) while computing (s, k). With one active micro-batch the next item reads
    // what this one stores, so its loads are issued after the stores instead.
    if (i + 1 < items.size() && !next_same_k) issue_loads(items[i + 1], steps[size_t(items[i + 1].k)]);
    for (const LoadedStage& l : loaded_) {
      if (l.stage == it.stage) wait(l.ready);
    }
    wait_all(item_ready_[size_t(it.slot)]);
    compute(it, step);
    issue_stores(it, step);
    if (next_same_k) issue_loads(items[i + 1], steps[size_t(items[i + 1].k)]);
    if (cancel != nullptr && cancel->load()) {
      drain();  // nothing in flight may outlive the step's buffers
      throw Interrupted();
    }
  }
}

void BlockExecutor::drain() {
  for (const Event& e : kv_stored_) wait_for(e);
  for (const Event& e : hidden_stored_) wait_for(e);
  for (const std::vector<Event>& busy : slot_busy_) {
    for (const Event& e : busy) wait_for(e);
  }
  for (const LoadedStage& l : loaded_) wait_for(l.ready);
  for (const std::vector<Event>& loads : item_ready_) {
    for (const Event& e : loads) wait_for(e);
  }
}

ExecutorReport BlockExecutor::report() const {
  ExecutorReport r;
  r.times = own_times_;
  r.times.disk_read = disk_read_->busy_seconds();
  r.times.disk_write = disk_write_->busy_seconds();
  r.times.copy_h2d = h2d_->busy_seconds();
  r.times.copy_d2h = d2h_->busy_seconds();
  {
    std::lock_guard<std::mutex> lock(bytes_mutex_);
    r.bytes = bytes_;
    r.kv_bytes = kv_bytes_;
  }
  r.placed = memory_.used();
  return r;
}

}  // namespace strata
