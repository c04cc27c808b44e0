#include "cli/job/openai_response.h"

#include <chrono>
#include <cstdio>

#include "cli/job/file_digest.h"
#include "cli/job/openai_logprobs.h"

namespace strata::cli {

std::string OpenAiResponder::random_hex() {
  char hex[33];
  for (int word = 0; word < 4; ++word) {
    std::snprintf(hex + 8 * word, 9, "%08x", unsigned(random_() & 0xffffffffu));
  }
  return std::string(hex, 32);
}

nlohmann::ordered_json OpenAiResponder::result_line(const Request& r, int64_t prompt_tokens,
                                                    std::span<const SequenceResult> choices) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  int64_t completion_tokens = 0;
  for (size_t i = 0; i < choices.size(); ++i) {
    const SequenceResult& res = choices[i];
    nlohmann::ordered_json choice;
    choice["index"] = i;
    if (r.chat) {
      choice["message"] = {{"role", "assistant"}, {"content", res.text}, {"refusal", nullptr}};
    } else {
      choice["text"] = res.text;
    }
    if (!r.logprobs) {
      choice["logprobs"] = nullptr;
    } else if (r.chat) {
      choice["logprobs"] = chat_logprobs(res, tokenizer_);
    } else {
      choice["logprobs"] = completion_logprobs(res, tokenizer_);
    }
    choice["finish_reason"] = res.finish_reason == FinishReason::stop ? "stop" : "length";
    list.push_back(std::move(choice));
    completion_tokens += int64_t(res.token_ids.size());
  }
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  nlohmann::ordered_json body;
  body["id"] = (r.chat ? "chatcmpl-" : "cmpl-") + random_hex();
  body["object"] = r.chat ? "chat.completion" : "text_completion";
  body["created"] = created;
  body["model"] = model_;
  body["choices"] = std::move(list);
  body["usage"] = {{"prompt_tokens", prompt_tokens},
                   {"completion_tokens", completion_tokens},
                   {"total_tokens", prompt_tokens + completion_tokens}};
  body["system_fingerprint"] = fingerprint_;
  nlohmann::ordered_json line;
  line["id"] = "batch_req_" + random_hex();
  line["custom_id"] = r.id;
  line["response"] = {{"status_code", 200}, {"request_id", "req_" + random_hex()}, {"body", body}};
  line["error"] = nullptr;
  return line;
}

nlohmann::ordered_json OpenAiResponder::error_line(const Request& r, const std::string& message,
                                                   const std::string& code) {
  nlohmann::ordered_json line;
  line["id"] = "batch_req_" + random_hex();
  line["custom_id"] = r.id;
  line["response"] = nullptr;
  line["error"] = {{"code", code.empty() ? "invalid_request" : code}, {"message", message}};
  return line;
}

std::string system_fingerprint(const std::string& what_makes_the_tokens) {
  return "fp_" + bytes_digest(what_makes_the_tokens).substr(0, 10);
}

}  // namespace strata::cli
