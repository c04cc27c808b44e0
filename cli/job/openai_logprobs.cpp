#include "cli/job/openai_logprobs.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "common/error.h"
#include "common/json_guard.h"
#include "engine/tokenizer/utf8.h"

namespace strata::cli {
namespace {

// A body field's value, or null when absent.
nlohmann::json field(const nlohmann::json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() ? nlohmann::json() : *it;
}

// An integer field in [0, max], or nullopt when null or absent.
std::optional<int32_t> bounded(const nlohmann::json& body, const char* name, int64_t max,
                               const std::string& where) {
  const nlohmann::json v = field(body, name);
  if (v.is_null()) return std::nullopt;
  STRATA_CHECK_INPUT(v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= max,
                     where, ": field 'body.", name, "': expected an integer from 0 to ", max,
                     " (OpenAI's bound), got ", json_excerpt(v));
  return int32_t(v.get<int64_t>());
}

struct TokenText {
  std::string bytes;  // the token decoded alone: raw, possibly part of a UTF-8 character
  std::string text;   // the same as valid UTF-8, an invalid part as U+FFFD
};

TokenText token_text(const Tokenizer& tokenizer, int32_t id) {
  TokenText t;
  t.bytes = tokenizer.decode({&id, 1}, /*skip_special=*/false);
  std::string storage;
  t.text = std::string(valid_utf8(t.bytes, storage));
  return t;
}

// Characters of valid UTF-8 text (Python's len, which OpenAI's text_offset counts in).
int64_t characters(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (uint8_t(c) & 0xC0) != 0x80; });
}

// A logprob as written: the shortest decimal that reads back as the same float (not the 17
// digits of its double), -inf as -9999.0.
double shown(float logprob) {
  if (logprob < -9999.0f) return -9999.0;
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), logprob);
  *end = '\0';
  return ec == std::errc() ? std::strtod(text, nullptr) : double(logprob);
}

nlohmann::ordered_json byte_list(const std::string& bytes) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const char c : bytes) list.push_back(int(uint8_t(c)));
  return list;
}

}  // namespace

std::optional<int32_t> read_logprobs(const nlohmann::json& body, bool chat,
                                     const std::string& where) {
  if (!chat) return bounded(body, "logprobs", kMaxCompletionLogprobs, where);
  const nlohmann::json asked = field(body, "logprobs");
  STRATA_CHECK_INPUT(asked.is_null() || asked.is_boolean(), where,
                     ": field 'body.logprobs': expected true or false, got ", json_excerpt(asked));
  const std::optional<int32_t> top = bounded(body, "top_logprobs", kMaxChatTopLogprobs, where);
  if (asked != true) {
    STRATA_CHECK_INPUT(top.value_or(0) == 0, where, ": field 'body.top_logprobs': ", *top,
                       " needs \"logprobs\": true (OpenAI's rule), got \"logprobs\": ",
                       asked.dump());
    return std::nullopt;
  }
  return top.value_or(0);
}

nlohmann::ordered_json completion_logprobs(const SequenceResult& result,
                                           const Tokenizer& tokenizer) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array(), logprobs = tokens,
                         tops = tokens, offsets = tokens;
  int64_t offset = 0;  // characters into the choice's text, as vLLM counts without echo
  for (const StepLogprobs& step : result.logprobs) {
    const std::string text = token_text(tokenizer, step.chosen.token).text;
    tokens.push_back(text);
    logprobs.push_back(shown(step.chosen.logprob));
    offsets.push_back(offset);
    offset += characters(text);
    // The k most likely and the chosen token, most likely first. Two tokens with one string
    // share a key: the more likely one is kept.
    std::vector<TokenLogprob> entries = step.top;
    const auto by_id = [&](const TokenLogprob& t) { return t.token == step.chosen.token; };
    if (std::none_of(entries.begin(), entries.end(), by_id)) {
      const auto at = std::find_if(entries.begin(), entries.end(), [&](const TokenLogprob& t) {
        return t.logprob < step.chosen.logprob;
      });
      entries.insert(at, step.chosen);
    }
    nlohmann::ordered_json top = nlohmann::ordered_json::object();
    for (const TokenLogprob& t : entries) {
      const std::string key = token_text(tokenizer, t.token).text;
      if (!top.contains(key)) top[key] = shown(t.logprob);
    }
    tops.push_back(std::move(top));
  }
  return {{"tokens", std::move(tokens)}, {"token_logprobs", std::move(logprobs)},
          {"top_logprobs", std::move(tops)}, {"text_offset", std::move(offsets)}};
}

nlohmann::ordered_json chat_logprobs(const SequenceResult& result, const Tokenizer& tokenizer) {
  const auto entry = [&](const TokenLogprob& t) {
    const TokenText text = token_text(tokenizer, t.token);
    return nlohmann::ordered_json{{"token", text.text}, {"logprob", shown(t.logprob)},
                                  {"bytes", byte_list(text.bytes)}};
  };
  nlohmann::ordered_json content = nlohmann::ordered_json::array();
  for (const StepLogprobs& step : result.logprobs) {
    nlohmann::ordered_json e = entry(step.chosen);
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const TokenLogprob& t : step.top) top.push_back(entry(t));
    e["top_logprobs"] = std::move(top);
    content.push_back(std::move(e));
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

}  // namespace strata::cli
