// Request: one line of a JSONL job, validated. Only "prompt" is required; absent options take
// the command-line defaults. Input format (one JSON object per line, blank lines skipped):
//   {"id", "prompt", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed",
//    "presence_penalty", "frequency_penalty"}
// or OpenAI Batch lines (cli/job/openai_batch.h); the first request line decides the file's
// format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

struct Request {
  int64_t line = 0;            // 1-based line in the input file
  nlohmann::json id;           // echoed as given (string or number); "line-N" when absent
  std::string prompt;
  std::optional<int64_t> max_tokens;
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int32_t> top_k;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  std::optional<float> presence_penalty;   // OpenAI's, in [-2, 2] (engine/generate/sampling.h)
  std::optional<float> frequency_penalty;
  bool openai = false;         // an OpenAI Batch line: output in OpenAI Batch shape
  bool chat = false;           // /v1/chat/completions (prompt made by the chat template)
  // chat: the request's messages and chat_template_kwargs, rendered by the model's template
  // when it has one (`prompt` holds the plain User:/Assistant: rendering otherwise).
  nlohmann::ordered_json messages;
  nlohmann::ordered_json chat_template_kwargs;
  // OpenAI: choices per prompt, and for /v1/completions every prompt of the body (an array
  // gives n choices per prompt, indexed prompt_index * n + i); empty otherwise: one `prompt`.
  int64_t n = 1;
  std::vector<std::string> prompts;
  // OpenAI: report token logprobs, with this many most likely tokens per step (completions'
  // logprobs, chat's top_logprobs; cli/job/openai_logprobs.h); unset: none.
  std::optional<int32_t> logprobs;
  std::string error;           // non-empty: the line is bad (OpenAI files without --strict)
  std::string error_code;      // with error: OpenAI's code ("invalid_request", ...)
};

enum class BadLines { fail, report };  // report: an error line in the output (OpenAI files)

// Validates the native fields of a JSON object. Throws InputError "WHERE: field 'x': ...".
Request parse_request_fields(const nlohmann::json& j, const std::string& where, int64_t line);

// Parses one line (already known not to be blank). Throws InputError "FILE:LINE: ...".
Request parse_request(const std::string& text, const std::string& file, int64_t line);

// Reads and validates every line of a JSONL file. Throws InputError on the first bad line, or
// when the file has no request at all. In an OpenAI Batch file with BadLines::report, a bad line
// becomes a Request whose `error` says what is wrong, and the job goes on.
std::vector<Request> read_requests(const std::filesystem::path& path,
                                   BadLines bad_lines = BadLines::fail);
// The same over a file's bytes already read (cli/job/file_digest.h); `name` is the file in errors.
std::vector<Request> parse_requests(const std::string& bytes, const std::string& name,
                                    BadLines bad_lines = BadLines::fail);

}  // namespace strata::cli
