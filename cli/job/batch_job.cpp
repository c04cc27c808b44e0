#include "cli/job/batch_job.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <ostream>

#include "cli/job/atomic_file.h"
#include "cli/job/request.h"
#include "cli/model_loading.h"
#include "common/error.h"

namespace strata::cli {
namespace {

// A request without a seed gets a distinct, reproducible one: SplitMix64 of (seed, line).
uint64_t derive_seed(uint64_t base, int64_t line) {
  SequenceRng rng(base ^ (uint64_t(line) * 0x9e3779b97f4a7c15ull));
  return rng.next();
}

SequenceRequest to_sequence(const Request& r, const RequestDefaults& d,
                            const LoadedTokenizer& tok, const std::string& file) {
  SequenceRequest s;
  s.prompt_ids = tok.prompt_ids(r.prompt);
  const int64_t limit = tok.config.max_positions;
  STRATA_CHECK_INPUT(int64_t(s.prompt_ids.size()) <= limit, file, ":", r.line,
                     ": field 'prompt': ", s.prompt_ids.size(),
                     " tokens (bos included) exceed the model's max_position_embeddings ", limit);
  s.max_new_tokens = r.max_tokens.value_or(d.max_new_tokens);
  s.sampling.temperature = r.temperature.value_or(d.temperature);
  s.sampling.top_p = r.top_p.value_or(d.top_p);
  s.sampling.top_k = r.top_k.value_or(d.top_k);
  s.sampling.seed = r.seed ? *r.seed : derive_seed(d.seed, r.line);
  s.stop = r.stop;
  return s;
}

// ordered_json keeps the documented field order in every line.
nlohmann::ordered_json result_line(const Request& r, const SequenceRequest& s,
                                   const SequenceResult& res) {
  return {{"id", r.id},
          {"text", res.text},
          {"token_ids", res.token_ids},
          {"finish_reason", res.finish_reason == FinishReason::stop ? "stop" : "length"},
          {"prompt_tokens", s.prompt_ids.size()},
          {"completion_tokens", res.token_ids.size()}};
}

void check_output_path(const BatchJobOptions& o) {
  const auto parent = o.output.has_parent_path() ? o.output.parent_path() : ".";
  STRATA_CHECK_INPUT(std::filesystem::is_directory(parent), o.output.string(),
                     ": its directory does not exist");
  STRATA_CHECK_INPUT(::access(parent.c_str(), W_OK) == 0, o.output.string(),
                     ": its directory is not writable");
  std::error_code ec;
  STRATA_CHECK_INPUT(!std::filesystem::equivalent(o.input, o.output, ec), o.output.string(),
                     ": the output would overwrite the input");
}

}  // namespace

BatchJobSummary run_batch_job(const BatchJobOptions& o, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  STRATA_CHECK_INPUT(o.batch_size >= 1, "--batch-size: must be at least 1");
  check_output_path(o);
  const std::vector<Request> requests = read_requests(o.input);
  const LoadedTokenizer tok = load_tokenizer(o.model_dir);
  std::vector<SequenceRequest> seqs;
  seqs.reserve(requests.size());
  for (const Request& r : requests) {
    seqs.push_back(to_sequence(r, o.defaults, tok, o.input.string()));
  }

  const std::unique_ptr<OptModel> model = load_model(o.model_dir);
  // After every input is known good, so a bad input's error stays the only line on stderr.
  const BackendChoice choice = choose_backend(o.backend);
  if (!choice.notice.empty() && !o.quiet) log << "strata: " << choice.notice << "\n";
  const std::unique_ptr<Backend> backend = make_backend(choice.kind);

  // Bucket by prompt length: neighbours in length share a micro-batch, so padding stays low.
  std::vector<size_t> order(seqs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return seqs[a].prompt_ids.size() < seqs[b].prompt_ids.size();
  });
  Generator generator(*model, tok.tokenizer, *backend);
  std::vector<SequenceResult> results(seqs.size());
  for (size_t first = 0; first < order.size(); first += size_t(o.batch_size)) {
    const size_t count = std::min(size_t(o.batch_size), order.size() - first);
    std::vector<SequenceRequest> batch;
    for (size_t i = 0; i < count; ++i) batch.push_back(seqs[order[first + i]]);
    std::vector<SequenceResult> out = generator.generate(batch);
    for (size_t i = 0; i < count; ++i) results[order[first + i]] = std::move(out[i]);
    if (!o.quiet) {
      const GenerationStats& st = generator.stats();
      const double secs = st.prefill_seconds + st.decode_seconds;
      log << "strata: " << first + count << "/" << order.size() << " requests, "
          << st.generated_tokens << " tokens generated, "
          << (secs > 0 ? double(st.generated_tokens) / secs : 0.0) << " tokens/s\n";
    }
  }

  AtomicFile output(o.output);
  for (size_t i = 0; i < requests.size(); ++i) {
    output.stream() << result_line(requests[i], seqs[i], results[i])
                           .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                    << "\n";
  }
  output.commit();

  BatchJobSummary summary;
  summary.requests = int64_t(requests.size());
  summary.stats = generator.stats();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace strata::cli
