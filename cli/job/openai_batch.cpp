#include "cli/job/openai_batch.h"

#include "common/error.h"

namespace strata::cli {
namespace {

const char* kCompletions = "/v1/completions";
const char* kChat = "/v1/chat/completions";

std::string text_of(const nlohmann::json& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  // The structured form: [{"type": "text", "text": "..."}, ...]; only text parts are supported.
  STRATA_CHECK_INPUT(content.is_array(), where, ": field 'content': expected a string or an "
                     "array of text parts, got ", content.dump());
  std::string text;
  for (const auto& part : content) {
    STRATA_CHECK_INPUT(part.is_object() && part.contains("type") && part["type"] == "text" &&
                           part.contains("text") && part["text"].is_string(),
                       where, ": field 'content': only text parts are supported, got ",
                       part.dump());
    text += part["text"].get<std::string>();
  }
  return text;
}

}  // namespace

bool is_openai_line(const nlohmann::json& j) { return j.is_object() && j.contains("custom_id"); }

std::string apply_chat_template(const nlohmann::json& messages, const std::string& where) {
  STRATA_CHECK_INPUT(messages.is_array() && !messages.empty(), where,
                     ": field 'body.messages': expected a non-empty array");
  std::string prompt;
  for (const auto& m : messages) {
    STRATA_CHECK_INPUT(m.is_object() && m.contains("role") && m["role"].is_string() &&
                           m.contains("content"),
                       where, ": field 'body.messages': each message needs \"role\" and "
                       "\"content\", got ", m.dump());
    const std::string role = m["role"].get<std::string>();
    const std::string text = text_of(m["content"], where);
    if (role == "system" || role == "developer") {
      prompt += text + "\n\n";
    } else if (role == "user") {
      prompt += "User: " + text + "\n";
    } else if (role == "assistant") {
      prompt += "Assistant: " + text + "\n";
    } else {
      fail_input(where, ": field 'body.messages': unknown role '", role, "'");
    }
  }
  return prompt + "Assistant:";
}

Request parse_openai_request(const nlohmann::json& j, const std::string& where, int64_t line) {
  Request req;
  req.line = line;
  req.openai = true;
  STRATA_CHECK_INPUT(j["custom_id"].is_string(), where, ": field 'custom_id': expected a string, got ",
                     j["custom_id"].dump());
  req.id = j["custom_id"];
  // j.value("method", "POST") would throw a json type_error on a non-string method.
  const nlohmann::json method = j.contains("method") ? j["method"] : nlohmann::json("POST");
  STRATA_CHECK_INPUT(method == "POST", where, ": field 'method': expected \"POST\", got ",
                     method.dump());
  STRATA_CHECK_INPUT(j.contains("url") && j["url"].is_string(), where,
                     ": field 'url' is missing (", kCompletions, " or ", kChat, ")");
  const std::string url = j["url"].get<std::string>();
  STRATA_CHECK_INPUT(url == kCompletions || url == kChat, where, ": field 'url': \"", url,
                     "\" is not supported (", kCompletions, " or ", kChat, ")");
  req.chat = url == kChat;
  STRATA_CHECK_INPUT(j.contains("body") && j["body"].is_object(), where,
                     ": field 'body': expected an object");
  nlohmann::json body = j["body"];
  if (req.chat) {
    STRATA_CHECK_INPUT(body.contains("messages"), where, ": field 'body.messages' is missing");
    body["prompt"] = apply_chat_template(body["messages"], where);
  } else {
    STRATA_CHECK_INPUT(body.contains("prompt") && body["prompt"].is_string(), where,
                       ": field 'body.prompt': expected a string");
  }
  if (body.contains("max_completion_tokens")) body["max_tokens"] = body["max_completion_tokens"];
  // The sampling fields are the native ones; OpenAI-only fields (model, n, logprobs, ...) that
  // do not change the text are ignored, as vllm run-batch does.
  nlohmann::json native = nlohmann::json::object();
  for (const char* field : {"prompt", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed"}) {
    if (body.contains(field)) native[field] = body[field];
  }
  Request fields = parse_request_fields(native, where + ": body", line);
  fields.line = line;
  fields.id = req.id;
  fields.openai = true;
  fields.chat = req.chat;
  return fields;
}

nlohmann::ordered_json openai_result_line(const Request& r, const std::string& model_name,
                                          int64_t prompt_tokens, const SequenceResult& res) {
  const char* finish = res.finish_reason == FinishReason::stop ? "stop" : "length";
  nlohmann::ordered_json choice;
  choice["index"] = 0;
  if (r.chat) {
    choice["message"] = {{"role", "assistant"}, {"content", res.text}};
  } else {
    choice["text"] = res.text;
    choice["logprobs"] = nullptr;
  }
  choice["finish_reason"] = finish;
  const std::string suffix = std::to_string(r.line);
  nlohmann::ordered_json body;
  body["id"] = (r.chat ? "chatcmpl-" : "cmpl-") + suffix;
  body["object"] = r.chat ? "chat.completion" : "text_completion";
  body["model"] = model_name;
  body["choices"] = nlohmann::ordered_json::array({choice});
  body["usage"] = {{"prompt_tokens", prompt_tokens},
                   {"completion_tokens", res.token_ids.size()},
                   {"total_tokens", prompt_tokens + int64_t(res.token_ids.size())}};
  nlohmann::ordered_json line;
  line["id"] = "batch_req_" + suffix;
  line["custom_id"] = r.id;
  line["response"] = {{"status_code", 200}, {"request_id", "req_" + suffix}, {"body", body}};
  line["error"] = nullptr;
  return line;
}

nlohmann::ordered_json openai_error_line(const Request& r, const std::string& message) {
  nlohmann::ordered_json line;
  line["id"] = "batch_req_" + std::to_string(r.line);
  line["custom_id"] = r.id;
  line["response"] = nullptr;
  line["error"] = {{"code", "invalid_request"}, {"message", message}};
  return line;
}

}  // namespace strata::cli
