#include "engine/generate/block_generator.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <numeric>

#include "common/error.h"
#include "engine/executor/block_executor.h"
#include "engine/generate/sequence_state.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One micro-batch's sequences and the buffers its steps point into.
struct MicroBatch {
  std::vector<size_t> members;  // indexes into the block's sequences
  int64_t prompt_len = 0;       // padded prompt: the longest of its members
  int64_t max_new = 0;
  std::vector<int64_t> active;  // physical rows still generating, ascending
  std::vector<size_t> row_seq;  // physical row -> sequence index
  std::vector<uint8_t> key_valid;
  PaddedPrompts prompt;
  std::vector<int32_t> next, next_pos;
  std::vector<float> logits;
};

}  // namespace

WarningSink once_per_text(WarningSink sink) {
  if (!sink) return {};
  auto seen = std::make_shared<std::set<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  return [sink = std::move(sink), seen, mutex](const std::string& message) {
    const size_t at = message.find(": ");  // "PATH: text"
    const std::string text = at == std::string::npos ? message : message.substr(at + 2);
    std::lock_guard<std::mutex> lock(*mutex);
    if (seen->insert(text).second) sink(message);
  };
}

BlockGenerator::BlockGenerator(std::shared_ptr<const ModelSpec> model,
                               std::unique_ptr<WeightSource> source,
                               const Tokenizer& tokenizer, Backend& backend,
                               ExecutorOptions options)
    : model_(std::move(model)), tokenizer_(tokenizer), backend_(backend),
      options_(std::move(options)), memory_(options_.capacities, backend.memory()) {
  validate_for_executor(options_.policy);
  weights_ = std::make_unique<WeightTiers>(std::move(source), model_->tensors,
                                           options_.policy.weights, memory_);
  report_.placed = memory_.used();
}

std::vector<SequenceResult> BlockGenerator::generate(std::span<const SequenceRequest> batch,
                                                     const std::atomic<bool>* cancel) {
  const ModelConfig& cfg = model_->config;
  STRATA_CHECK(int64_t(batch.size()) <= block_size(), batch.size(), " sequences for a block of ",
               block_size());
  std::vector<SequenceState> seqs;
  seqs.reserve(batch.size());
  for (const SequenceRequest& r : batch) seqs.push_back(start_sequence(r, cfg));

  // Micro-batch k: sequences [k·G, (k+1)·G), padded to their own longest prompt; those with
  // nothing to generate take no cache row, as in Generator::generate.
  const int64_t g = options_.policy.gpu_batch_size;
  std::vector<MicroBatch> mbs(size_t(options_.policy.num_gpu_batches));
  BlockShape shape;
  for (size_t i = 0; i < seqs.size(); ++i) {
    MicroBatch& mb = mbs[i / size_t(g)];
    mb.members.push_back(i);
    mb.prompt_len = std::max(mb.prompt_len, seqs[i].prompt_len);
    mb.max_new = std::max(mb.max_new, seqs[i].budget);
    if (!seqs[i].done) mb.row_seq.push_back(i);
  }
  for (MicroBatch& mb : mbs) {
    shape.batches.push_back(int64_t(mb.row_seq.size()));
    shape.prompt_lens.push_back(mb.prompt_len);
    if (!mb.row_seq.empty()) {
      shape.slots_needed = std::max(shape.slots_needed, mb.prompt_len + mb.max_new - 1);
    }
  }
  const int64_t rows_total = std::accumulate(shape.batches.begin(), shape.batches.end(), int64_t(0));
  if (rows_total > 0) {
    BlockExecutor ex(*weights_, *model_, backend_, options_, shape, memory_);
    const int64_t slots = ex.plan().kv.slots();
    std::vector<MicroBatchStep> steps(mbs.size());
    for (size_t k = 0; k < mbs.size(); ++k) {
      MicroBatch& mb = mbs[k];
      const int64_t n = int64_t(mb.row_seq.size());
      mb.key_valid.assign(size_t(n * slots), 1);
      std::vector<const SequenceState*> prompts;
      for (size_t i : mb.row_seq) {
        prompts.push_back(&seqs[i]);
        stats_.prompt_tokens += seqs[i].prompt_len;
      }
      mb.prompt = pad_prompts(prompts, mb.prompt_len, cfg.pad_token_id, mb.key_valid.data(), slots);
      stats_.padded_tokens += n * mb.prompt_len;
      for (int64_t r = 0; r < n; ++r) mb.active.push_back(r);
      mb.logits.resize(size_t(n * cfg.vocab_size));
      steps[k].in = StepInput{n, mb.prompt_len, mb.prompt.ids.data(), mb.prompt.positions.data(),
                              0, mb.key_valid.data()};
      steps[k].rows = mb.active.data();
      steps[k].logits = mb.logits.data();
    }
    auto start = Clock::now();
    ex.run_step(steps, cancel);
    stats_.prefill_seconds += seconds_since(start);
    if (observer_) observer_(stats_.generated_tokens);
    start = Clock::now();
    for (int64_t step = 0;; ++step) {
      bool any = false;
      for (size_t k = 0; k < mbs.size(); ++k) {
        MicroBatch& mb = mbs[k];
        if (steps[k].in.batch == 0) continue;
        std::vector<int64_t> keep;
        for (size_t a = 0; a < mb.active.size(); ++a) {
          SequenceState& s = seqs[mb.row_seq[size_t(mb.active[a])]];
          take_token(s, {mb.logits.data() + a * size_t(cfg.vocab_size), size_t(cfg.vocab_size)},
                     cfg, tokenizer_);
          ++stats_.generated_tokens;
          if (!s.done) keep.push_back(mb.active[a]);
        }
        mb.active = std::move(keep);  // finished sequences leave; their rows stay unused
        const int64_t b = int64_t(mb.active.size());
        const int64_t slot = mb.prompt_len + step;
        mb.next.resize(size_t(b));
        mb.next_pos.resize(size_t(b));
        for (int64_t a = 0; a < b; ++a) {
          const SequenceState& s = seqs[mb.row_seq[size_t(mb.active[size_t(a)])]];
          mb.next[size_t(a)] = s.result.token_ids.back();
          mb.next_pos[size_t(a)] = int32_t(slot - (mb.prompt_len - s.prompt_len));
        }
        steps[k].in = StepInput{b, 1, mb.next.data(), mb.next_pos.data(), slot, mb.key_valid.data()};
        steps[k].rows = mb.active.data();
        any = any || b > 0;
      }
      if (!any) break;
      if (observer_) observer_(stats_.generated_tokens);
      if (cancel != nullptr && cancel->load()) throw Interrupted();
      ex.run_step(steps, cancel);
    }
    stats_.decode_seconds += seconds_since(start);
    ex.drain();  // the last step's stores still run: count them (and surface their errors)
    const ExecutorReport r = ex.report();
    report_.times += r.times;
    report_.bytes += r.bytes;
    report_.kv_bytes += r.kv_bytes;
    if (r.placed[Place::device].total() + r.placed[Place::host].total() >=
        report_.placed[Place::device].total() + report_.placed[Place::host].total()) {
      report_.placed = r.placed;
    }
  }
  return finish_results(seqs, tokenizer_);
}

}  // namespace strata
