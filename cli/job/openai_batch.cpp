#include "cli/job/openai_batch.h"

#include "common/error.h"
#include "engine/chat/chat_prompt.h"

namespace strata::cli {
namespace {

const char* kCompletions = "/v1/completions";
const char* kChat = "/v1/chat/completions";

}  // namespace

bool is_openai_line(const nlohmann::json& j) { return j.is_object() && j.contains("custom_id"); }

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
    body["prompt"] = chat::plain_chat_prompt(body["messages"], where);  // also validates them
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
  if (req.chat) {
    const nlohmann::json kwargs = body.value("chat_template_kwargs", nlohmann::json());
    STRATA_CHECK_INPUT(kwargs.is_null() || kwargs.is_object(), where,
                       ": field 'body.chat_template_kwargs': expected an object, got ",
                       kwargs.dump());
    // Ordered, so a template's tojson writes the client's key order.
    fields.messages = nlohmann::ordered_json::parse(body["messages"].dump());
    fields.chat_template_kwargs = nlohmann::ordered_json::parse(kwargs.dump());
  }
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
