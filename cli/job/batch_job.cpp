#include "cli/job/batch_job.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <ostream>

#include "cli/job/file_digest.h"
#include "cli/job/interrupt.h"
#include "cli/job/job_output.h"
#include "cli/job/journal.h"
#include "cli/job/openai_response.h"
#include "cli/job/progress.h"
#include "cli/job/request.h"
#include "cli/job/shard.h"
#include "cli/report_json.h"
#include "cli/run_request.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json_guard.h"
#include "common/output_path.h"
#include "engine/chat/chat_prompt.h"
#include "runtime/model_identity.h"
#include "runtime/model_source.h"

namespace strata::cli {
namespace {

// A native request is one sequence (cli/job/request.h).
nlohmann::ordered_json native_result_line(const Request& r, const SequenceRequest& s,
                                          const SequenceResult& res) {
  return {{"id", r.id},
          {"text", res.text},
          {"token_ids", res.token_ids},
          {"finish_reason", res.finish_reason == FinishReason::stop ? "stop" : "length"},
          {"prompt_tokens", s.prompt_ids.size()},
          {"completion_tokens", res.token_ids.size()}};
}

// A native request that failed alone: its id and OpenAI's error object, no text.
nlohmann::ordered_json native_error_line(const Request& r, const std::string& message,
                                         const std::string& code) {
  return {{"id", r.id}, {"error", {{"code", code}, {"message", message}}}};
}

// What decides the tokens besides the requests: the model, its compression and the backend.
std::string fingerprint_of(const BatchJobOptions& o, BackendKind backend) {
  return system_fingerprint(std::filesystem::weakly_canonical(o.model_dir).string() + "|" +
                            o.execution.compress_weight + "|" + o.execution.compress_cache + "|" +
                            (backend == BackendKind::cuda ? "cuda" : "cpu"));
}

// The planner's workload over every choice of every request (a block holds choices), without
// copying their prompts into one list.
Workload workload_of_choices(const std::vector<std::vector<SequenceRequest>>& choices,
                             int64_t max_positions) {
  Workload w = workload_of({}, max_positions);
  int64_t sequences = 0;
  for (const auto& c : choices) {
    if (c.empty()) continue;  // a request that is not run
    const Workload one = workload_of(c, max_positions);
    w.prompt_len = std::max(w.prompt_len, one.prompt_len);
    w.gen_len = std::max(w.gen_len, one.gen_len);
    sequences += int64_t(c.size());
  }
  w.num_requests = std::max<int64_t>(1, sequences);
  return w;
}

// What makes two runs the same job: a journal written under another header is refused.
nlohmann::ordered_json journal_header(const BatchJobOptions& o, const std::string& digest) {
  const RequestDefaults& d = o.defaults;
  nlohmann::ordered_json header = {
      {"strata_journal", 1},
      {"input_digest", digest},
      {"model", std::filesystem::weakly_canonical(o.model_dir).string()},
      // A rewritten config, tokenizer or weight file, not only another directory.
      {"model_identity", model_files_identity(o.model_dir)},
      {"shard", o.shard},
      {"strict", o.strict},
      {"defaults", {{"max_new_tokens", d.max_new_tokens}, {"temperature", d.temperature},
                    {"top_p", d.top_p}, {"top_k", d.top_k}, {"seed", d.seed}}}};
  // Compression changes the tokens (placements do not): a resumed job must keep it. Only when
  // given, so journals of uncompressed jobs keep their header.
  const ExecutionFlags& x = o.execution;
  if (!x.compress_weight.empty() || !x.compress_cache.empty()) {
    header["compression"] = {{"weights", x.compress_weight}, {"kv_cache", x.compress_cache}};
  }
  return header;
}

// Each journaled line must be the answer to its request: an index inside the job and the
// request's own id (custom_id in OpenAI files). An injected or edited entry is an error, never an
// extra or a misplaced output line.
void check_journaled_lines(const std::map<int64_t, nlohmann::ordered_json>& lines,
                           const std::vector<Request>& requests,
                           const std::filesystem::path& journal) {
  for (const auto& [index, line] : lines) {
    STRATA_CHECK_INPUT(index < int64_t(requests.size()), journal.string(), ": request ", index,
                       " is not in this job's ", requests.size(), " requests (edited?); delete "
                       "the journal to start over");
    const Request& r = requests[size_t(index)];
    const char* key = r.openai ? "custom_id" : "id";
    STRATA_CHECK_INPUT(line.contains(key) && line[key] == r.id, journal.string(), ": the line "
                       "recorded for request ", index, " has ", key, " ",
                       line.contains(key) ? json_excerpt(line[key]) : std::string("(none)"),
                       ", the input's is ", json_excerpt(r.id), " (edited?); delete the journal to "
                       "start over");
  }
}

// A --resume of a job that already finished: no journal (it is removed once the output is
// complete), the output in place, and a meta sidecar naming this very job. Nothing to compute.
std::optional<JobMetrics> already_complete(const BatchJobOptions& o, const JobOutput& out,
                                           const std::string& digest, std::ostream& log) {
  const std::filesystem::path& target = out.path.target;
  std::error_code ec;
  if (std::filesystem::exists(target.string() + ".journal", ec) ||
      !std::filesystem::is_regular_file(target, ec)) {
    return std::nullopt;
  }
  const std::optional<nlohmann::ordered_json> found = read_job_meta(target);
  if (!found) return std::nullopt;
  const nlohmann::ordered_json& meta = *found;
  if (!meta.contains("job") || meta["job"] != journal_header(o, digest) ||
      !meta.contains("requests") || !meta["requests"].is_number_integer() ||
      !meta.contains("output_digest") ||
      meta["output_digest"] != read_input_bytes(target).digest) {  // truncated or edited since
    return std::nullopt;
  }
  JobMetrics m;
  m.job = meta["job"];
  m.requests = m.resumed = meta["requests"].get<int64_t>();
  if (meta.contains("failed_requests") && meta["failed_requests"].is_number_integer()) {
    m.failed = meta["failed_requests"].get<int64_t>();
  }
  m.policy = meta.value("policy", nlohmann::ordered_json());
  m.planner_prediction = meta.value("planner_prediction", nlohmann::ordered_json());
  if (!o.quiet) {
    log << "strata: " << o.output.string() << " is already complete (" << m.requests
        << " requests, " << meta_path(target).string() << "); nothing to do" << std::endl;
  }
  if (!o.metrics.empty()) m.write(o.metrics);
  return m;
}

}  // namespace

JobMetrics run_batch_job(const BatchJobOptions& o, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  // From the start, so that Ctrl-C while inputs and weights load also ends with exit 130 and
  // the resume hint, not with the default action's bare death.
  InterruptGuard interrupt;
  STRATA_CHECK_INPUT(o.batch_size >= 1, "--batch-size: must be at least 1");
  const ShardSpec shard = o.shard.empty() ? ShardSpec{} : ShardSpec::parse(o.shard);
  const JobOutput out = check_output_paths(o);
  const InputBytes input = read_input_bytes(o.input);
  const std::vector<Request> all =
      parse_requests(input.bytes, input.name, o.strict ? BadLines::fail : BadLines::report);
  const std::string& digest = input.digest;
  if (o.resume && out.journaled) {
    if (std::optional<JobMetrics> done = already_complete(o, out, digest, log)) return *done;
  }
  const auto [first, last] = shard.slice(int64_t(all.size()));
  const std::vector<Request> requests(all.begin() + first, all.begin() + last);
  std::ostream* notes = o.quiet ? nullptr : &log;
  ModelSource source = ModelSource::open(o.model_dir);
  const std::string model_name = std::filesystem::weakly_canonical(o.model_dir).filename().string();
  const chat::ChatFormatter chat = chat::ChatFormatter::for_model(
      o.model_dir, o.chat_template.empty() ? std::nullopt
                                           : std::optional<std::filesystem::path>(o.chat_template));

  // Validate every request before any work; a bad OpenAI line becomes an error line instead.
  // Each request runs as its choices (cli/job/request_sequences.h): one for a native request.
  std::vector<std::vector<SequenceRequest>> choices(requests.size());
  struct Failure {
    int64_t index;
    std::string message, code;
  };
  std::vector<Failure> failed;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    if (!r.error.empty()) {
      failed.push_back({int64_t(i), r.error, r.error_code});
      continue;
    }
    try {
      choices[i] = request_sequences(r, o.defaults, source, chat, input.name);
    } catch (const PromptTooLong& e) {
      // A request the model cannot take fails alone, in either format (OpenAI's code).
      if (o.strict) throw;
      failed.push_back({int64_t(i), e.what(), "context_length_exceeded"});
    } catch (const InputError& e) {
      if (!r.openai || o.strict) throw;
      failed.push_back({int64_t(i), e.what(), "invalid_request"});
    }
  }
  // The policy (planned, from a file, or all on the device) must fit the capacities for this
  // job's longest prompt and generation: refused here, before the journal or any weight is
  // touched.
  const BackendChoice choice = choose_backend(o.backend);
  const RunPlan plan = plan_run(
      source, make_run_request(o.execution, o.batch_size, choice.kind,
                               workload_of_choices(choices, source.config().max_positions),
                               notes));
  OpenAiResponder openai(model_name, fingerprint_of(o, choice.kind), source.tokenizer());

  // Beside the file the output names (a symlink's target), where the output itself is renamed.
  const auto journal_path = std::filesystem::path(out.path.target.string() + ".journal");
  const auto header = journal_header(o, digest);
  std::map<int64_t, nlohmann::ordered_json> lines;  // finished output lines by request index
  std::optional<Journal> journal;
  if (out.journaled) {
    journal = o.resume ? Journal::resume(journal_path, header, lines)
                       : Journal::create(journal_path, header);
    check_journaled_lines(lines, requests, journal->path());
    const std::string command = resume_command_line();
    interrupt.set_stop_message("interrupted; the finished requests are saved in " +
                               journal->path().string() + "; to continue, run: " +
                               (command.empty() ? "the same command with --resume" : command));
    // The journal's lock makes this run the output's one writer: earlier, killed runs' partial
    // outputs can go.
    AtomicFile::remove_leftovers(o.output);
    AtomicFile::remove_leftovers(ShardRecord::sidecar_of(out.path.target));
    AtomicFile::remove_leftovers(meta_path(out.path.target));  // killed while writing it
  }
  // A streamed output gets its lines as they are ready; a file gets them all at the end.
  std::optional<AtomicFile> device;
  std::optional<InOrderStream> stream;
  if (!out.journaled) {
    interrupt.set_stop_message("interrupted; a job on stdin or stdout keeps no journal and "
                               "cannot be resumed");
    if (!out.to_stdout) device.emplace(o.output, "--output");
    stream.emplace(out.to_stdout ? std::cout : device->stream());
  }
  const auto record = [&](std::vector<std::pair<int64_t, nlohmann::ordered_json>>& done) {
    if (journal) journal->append(done);  // durable before it counts as done
    for (auto& d : done) lines[d.first] = std::move(d.second);
    if (stream) stream->flush_ready(lines);
  };
  JobMetrics metrics;
  metrics.job = header;
  metrics.resumed = int64_t(lines.size());
  metrics.failed = int64_t(failed.size());
  std::vector<std::pair<int64_t, nlohmann::ordered_json>> new_failures;
  for (const Failure& f : failed) {
    const Request& r = requests[size_t(f.index)];
    if (!lines.count(f.index)) {
      new_failures.emplace_back(f.index, r.openai ? openai.error_line(r, f.message, f.code)
                                                  : native_error_line(r, f.message, f.code));
    }
  }
  if (!new_failures.empty()) record(new_failures);

  // Pending choices (request, choice), bucketed by prompt length so that neighbours share a
  // micro-batch. A request's line is written once all its choices are finished.
  std::vector<std::pair<size_t, size_t>> pending;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (lines.count(int64_t(i))) continue;
    for (size_t c = 0; c < choices[i].size(); ++c) pending.emplace_back(i, c);
  }
  const auto prompt_len = [&](const std::pair<size_t, size_t>& p) {
    return choices[p.first][p.second].prompt_ids.size();
  };
  std::stable_sort(pending.begin(), pending.end(),
                   [&](const auto& a, const auto& b) { return prompt_len(a) < prompt_len(b); });
  // Results of the requests under way, by choice, and how many of each are finished.
  std::vector<std::vector<SequenceResult>> results(requests.size());
  std::vector<size_t> finished(requests.size(), 0);
  const auto result_line = [&](size_t i) {
    const Request& r = requests[i];
    if (!r.openai) return native_result_line(r, choices[i][0], results[i][0]);
    return openai.result_line(r, prompt_tokens(choices[i], r.n), results[i]);
  };
  Progress progress(log, Progress::style_for_stderr(o.quiet), int64_t(requests.size()),
                    int64_t(lines.size()));
  if (!pending.empty()) {
    // After every input is known good, so a bad input's error stays the only line on stderr.
    if (!choice.notice.empty() && !o.quiet) log << "strata: " << choice.notice << "\n";
    if (plan.plan && notes != nullptr) *notes << "strata: " << plan_line(*plan.plan) << std::endl;
    metrics.policy = policy_json(plan.engine.options.policy);
    if (plan.plan) metrics.planner_prediction = prediction_json(plan.plan->prediction);
    const Engine engine = build_engine(source, plan.engine);
    BlockGenerator& generator = *engine.generator;
    const size_t chunk = engine.batch_size();  // one block of the executor
    interrupt.set_polled(true);  // the loop below stops at the next step and saves its work
    int64_t tokens_at_block = 0;
    generator.set_step_observer([&](int64_t generated) {
      progress.tick(generated - tokens_at_block);
    });
    try {
      for (size_t at = 0; at < pending.size(); at += chunk) {
        if (interrupt.flag().load()) throw Interrupted();
        const size_t count = std::min(chunk, pending.size() - at);
        std::vector<SequenceRequest> batch;
        for (size_t i = 0; i < count; ++i) {
          const auto [r, c] = pending[at + i];
          batch.push_back(choices[r][c]);
        }
        const int64_t tokens_before = generator.stats().generated_tokens;
        tokens_at_block = tokens_before;
        std::vector<SequenceResult> out = generator.generate(batch, &interrupt.flag());
        std::vector<std::pair<int64_t, nlohmann::ordered_json>> done;
        for (size_t i = 0; i < count; ++i) {
          metrics.sequences += out[i].token_ids.empty() ? 0 : 1;
          const auto [r, c] = pending[at + i];
          if (results[r].empty()) results[r].resize(choices[r].size());
          results[r][c] = std::move(out[i]);
          if (++finished[r] < choices[r].size()) continue;
          done.emplace_back(int64_t(r), result_line(r));
          results[r] = {};
        }
        if (!done.empty()) record(done);
        progress.advance(int64_t(done.size()), generator.stats().generated_tokens - tokens_before);
      }
    } catch (const Interrupted&) {
      progress.finish();
      const std::string command = resume_command_line();
      if (!journal) {
        log << "strata: interrupted; " << lines.size() << "/" << requests.size()
            << " requests were finished; a job on stdin or stdout keeps no journal and cannot "
               "be resumed" << std::endl;
        throw;
      }
      log << "strata: interrupted; " << lines.size() << "/" << requests.size()
          << " requests are saved in " << journal->path().string() << "; to continue, run: "
          << (command.empty() ? "the same command with --resume" : command) << std::endl;
      throw;
    }
    // Still polled: a signal that came during the last step finds every result made; the output
    // is written below (briefly) instead of the watchdog dropping it.
    metrics.stats = generator.stats();
    // Transfers and tiers are worth reporting only when something lives off the device.
    if (!all_on_device(plan.engine.options.policy)) {
      metrics.executor = generator.report();
      if (!o.quiet) log << "strata: " << generator.report().summary() << std::endl;
    }
  }
  progress.finish();

  // Sidecars left by an earlier run would vouch for this output: removed before it is replaced
  // (written anew after it when this run is a shard / journaled).
  const auto remove_sidecars = [&] {
    std::error_code ignored;
    std::filesystem::remove(ShardRecord::sidecar_of(out.path.target), ignored);
    std::filesystem::remove(meta_path(out.path.target), ignored);
  };
  if (stream) {
    stream->flush_ready(lines);
    if (device) {
      if (!out.path.in_place) remove_sidecars();
      device->commit();
    }
  } else {
    std::string text;
    for (const auto& [index, line] : lines) text += dump_line(line) + "\n";
    AtomicFile output(o.output, "--output");
    output.stream() << text;
    remove_sidecars();
    output.commit();
    metrics.output_digest = bytes_digest(text);
    if (!o.shard.empty()) {  // even 0/1: a one-task array still merges like any other
      const ShardRecord shard_record{shard, digest, first, int64_t(requests.size()),
                                     int64_t(all.size()),
                                     {{"defaults", header["defaults"]}, {"strict", header["strict"]}}};
      shard_record.write(out.path.target);
    }
    write_job_meta(out.path.target, header, metrics, int64_t(requests.size()));
    journal->remove();
  }

  metrics.requests = int64_t(requests.size());
  metrics.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.metrics.empty()) metrics.write(o.metrics);
  return metrics;
}

}  // namespace strata::cli
