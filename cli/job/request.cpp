#include "cli/job/request.h"

#include <fstream>
#include <map>
#include <sstream>
#include <set>

#include "cli/job/openai_batch.h"
#include "cli/job/openai_parameters.h"
#include "cli/job/file_digest.h"
#include "common/error.h"
#include "common/json_guard.h"

namespace strata::cli {
namespace {

// Names the place of a problem: "requests.jsonl:3: field 'top_p': ...".
class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}

  const nlohmann::json* get(const char* field) const {
    const auto it = j_.find(field);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  [[noreturn]] void bad(const char* field, const char* expected, const nlohmann::json& v) const {
    fail_input(where_, ": field '", field, "': expected ", expected, ", got ", json_excerpt(v));
  }
  std::optional<int64_t> integer(const char* field, int64_t min, int64_t max,
                                 const char* expected) const {
    const nlohmann::json* v = get(field);
    if (!v) return std::nullopt;
    if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
      bad(field, expected, *v);
    }
    return v->get<int64_t>();
  }
  std::optional<float> number(const char* field, double min, double max,
                              const char* expected) const {
    const nlohmann::json* v = get(field);
    if (!v) return std::nullopt;
    if (!v->is_number() || v->get<double>() < min || v->get<double>() > max) {
      bad(field, expected, *v);
    }
    return float(v->get<double>());
  }
  const std::string& where() const { return where_; }

 private:
  const nlohmann::json& j_;
  std::string where_;
};

const std::set<std::string>& known_fields() {
  static const std::set<std::string> fields = {
      "id",   "prompt", "max_tokens",       "temperature",      "top_p", "top_k",
      "stop", "seed",   "presence_penalty", "frequency_penalty"};
  return fields;
}

std::vector<std::string> read_stop(const FieldReader& r) {
  const nlohmann::json* v = r.get("stop");
  if (!v) return {};
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) r.bad("stop", "a string or an array of strings", *v);
  std::vector<std::string> stops;
  for (const auto& s : *v) {
    if (!s.is_string() || s.get<std::string>().empty()) {
      r.bad("stop", "non-empty strings", *v);
    }
    stops.push_back(s.get<std::string>());
  }
  return stops;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; keep what follows.
std::string parse_message(const nlohmann::json::parse_error& e) {
  const std::string what = e.what();
  const size_t at = what.find("] ");
  return at == std::string::npos ? what : what.substr(at + 2);
}

// Two lines with one id could not be told apart in the output (OpenAI refuses such a batch
// file too): refused before any work, naming both lines. Lines without an id get "line-N".
void refuse_duplicate_ids(const std::vector<Request>& requests, const std::string& name,
                          bool openai_file) {
  std::map<std::string, int64_t> first_line;
  for (const Request& r : requests) {
    const std::string key = r.id.dump();
    const auto [it, fresh] = first_line.emplace(key, r.line);
    STRATA_CHECK_INPUT(fresh, name, ":", r.line, ": ", openai_file ? "custom_id " : "id ",
                       excerpt(key), " was already used on line ", it->second,
                       "; every request needs its own");
  }
}

}  // namespace

Request parse_request_fields(const nlohmann::json& j, const std::string& where, int64_t line) {
  STRATA_CHECK_INPUT(j.is_object(), where, ": expected a JSON object with a \"prompt\" field");
  for (const auto& [key, value] : j.items()) {
    STRATA_CHECK_INPUT(known_fields().count(key), where, ": unknown field '", key,
                       "' (known: id, prompt, max_tokens, temperature, top_p, top_k, stop, seed, "
                       "presence_penalty, frequency_penalty)");
  }
  const FieldReader r(j, where);
  Request req;
  req.line = line;
  const nlohmann::json* prompt = r.get("prompt");
  STRATA_CHECK_INPUT(prompt != nullptr, where, ": field 'prompt' is missing");
  if (!prompt->is_string()) r.bad("prompt", "a string", *prompt);
  req.prompt = prompt->get<std::string>();
  if (const nlohmann::json* id = r.get("id")) {
    if (!id->is_string() && !id->is_number_integer()) r.bad("id", "a string or an integer", *id);
    req.id = *id;
  } else {
    req.id = "line-" + std::to_string(line);
  }
  req.max_tokens = r.integer("max_tokens", 0, 1 << 30, "a non-negative integer");
  req.temperature = r.number("temperature", 0.0, 100.0, "a number from 0 to 100");
  req.top_p = r.number("top_p", 1e-9, 1.0, "a number in (0, 1]");
  if (auto k = r.integer("top_k", 0, 1 << 30, "a non-negative integer")) req.top_k = int32_t(*k);
  if (auto s = r.integer("seed", 0, INT64_MAX, "a non-negative integer")) req.seed = uint64_t(*s);
  req.stop = read_stop(r);
  req.presence_penalty = r.number("presence_penalty", -2.0, 2.0, "a number from -2 to 2");
  req.frequency_penalty = r.number("frequency_penalty", -2.0, 2.0, "a number from -2 to 2");
  return req;
}

Request parse_request(const std::string& text, const std::string& file, int64_t line) {
  const std::string where = file + ":" + std::to_string(line);
  check_json_depth(text, where);
  nlohmann::ordered_json ordered;
  try {
    ordered = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_input(where, ": malformed JSON: ", parse_message(e));
  }
  const nlohmann::json j = ordered;
  if (is_openai_line(j)) return parse_openai_request(j, ordered, where, line);
  return parse_request_fields(j, where, line);
}

std::vector<Request> read_requests(const std::filesystem::path& path, BadLines bad_lines) {
  const InputBytes in = read_input_bytes(path);
  return parse_requests(in.bytes, in.name, bad_lines);
}

std::vector<Request> parse_requests(const std::string& bytes, const std::string& name,
                                    BadLines bad_lines) {
  std::istringstream in(bytes);
  std::vector<std::pair<int64_t, std::string>> texts;  // (1-based line, text), blanks skipped
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (!text.empty() && text.back() == '\r') text.pop_back();  // CRLF files
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    texts.emplace_back(line, std::move(text));
  }
  // The first line that is a JSON object decides the format, so that a bad first line of an
  // OpenAI Batch file (bad JSON, unknown url) is an error line too, not the end of the job.
  bool openai_file = false;
  for (const auto& [line, t] : texts) {
    if (json_nesting_exceeds(t)) continue;  // a bad line (parse_request says so), not the format
    const auto j = nlohmann::json::parse(t, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      openai_file = is_openai_line(j);
      break;
    }
  }
  std::vector<Request> requests;
  for (const auto& [line, text] : texts) {
    try {
      Request r = parse_request(text, name, line);
      STRATA_CHECK_INPUT(r.openai == openai_file, name, ":", line,
                         ": this line is ", r.openai ? "an OpenAI Batch line" : "a Strata line",
                         " but the file started with ", openai_file ? "OpenAI Batch" : "Strata",
                         " lines; one file holds one format");
      requests.push_back(std::move(r));
    } catch (const InputError& e) {
      // OpenAI Batch semantics: one bad line fails that request, not the job.
      if (!openai_file || bad_lines == BadLines::fail) throw;
      Request bad;
      bad.line = line;
      bad.openai = true;
      const auto j = json_nesting_exceeds(text) ? nlohmann::json()
                                                : nlohmann::json::parse(text, nullptr, false);
      bad.id = j.is_object() && j.contains("custom_id") ? j["custom_id"]
                                                         : nlohmann::json("line-" + std::to_string(line));
      bad.error = e.what();
      bad.error_code = dynamic_cast<const UnsupportedParameter*>(&e) ? "unsupported_parameter"
                                                                     : "invalid_request";
      requests.push_back(std::move(bad));
    }
  }
  STRATA_CHECK_INPUT(!requests.empty(), name, ": no requests (the file is empty)");
  refuse_duplicate_ids(requests, name, openai_file);
  return requests;
}

}  // namespace strata::cli
