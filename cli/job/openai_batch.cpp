#include "cli/job/openai_batch.h"

#include <vector>

#include "cli/job/openai_logprobs.h"
#include "cli/job/openai_parameters.h"
#include "common/error.h"
#include "engine/chat/chat_prompt.h"

namespace strata::cli {
namespace {

const char* kCompletions = "/v1/completions";
const char* kChat = "/v1/chat/completions";
// OpenAI's limit on choices per prompt.
constexpr int64_t kMaxChoices = 128;

// The prompts of a /v1/completions body: a string, or an array of strings (one choice each).
// Token-id prompts (an array of integers, or of arrays) are OpenAI's too, but not Strata's.
std::vector<std::string> read_prompts(const nlohmann::json& body, const std::string& where) {
  const auto it = body.find("prompt");
  STRATA_CHECK_INPUT(it != body.end() && !it->is_null(), where, ": field 'body.prompt' is missing");
  if (it->is_string()) return {it->get<std::string>()};
  const bool token_ids = it->is_array() && !it->empty() &&
                         ((*it)[0].is_number_integer() || (*it)[0].is_array());
  if (token_ids) {
    throw UnsupportedParameter(str_cat(where, ": field 'body.prompt': token-id prompts are not "
                                       "supported by Strata (send the text); this request is "
                                       "not run"));
  }
  std::vector<std::string> prompts;
  if (it->is_array()) {
    for (const auto& p : *it) {
      if (!p.is_string()) break;
      prompts.push_back(p.get<std::string>());
    }
  }
  STRATA_CHECK_INPUT(!prompts.empty() && prompts.size() == it->size(), where,
                     ": field 'body.prompt': expected a string or a non-empty array of strings, "
                     "got ", it->dump());
  return prompts;
}

int64_t read_n(const nlohmann::json& body, const std::string& where) {
  const auto it = body.find("n");
  if (it == body.end() || it->is_null()) return 1;
  STRATA_CHECK_INPUT(it->is_number_integer() && it->get<int64_t>() >= 1 &&
                         it->get<int64_t>() <= kMaxChoices,
                     where, ": field 'body.n': expected an integer from 1 to ", kMaxChoices,
                     ", got ", it->dump());
  return it->get<int64_t>();
}

}  // namespace

bool is_openai_line(const nlohmann::json& j) { return j.is_object() && j.contains("custom_id"); }

Request parse_openai_request(const nlohmann::json& j, const nlohmann::ordered_json& ordered,
                             const std::string& where, int64_t line) {
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
  refuse_unsupported_parameters(body, req.chat, where);
  std::vector<std::string> prompts;
  if (req.chat) {
    STRATA_CHECK_INPUT(body.contains("messages"), where, ": field 'body.messages' is missing");
    body["prompt"] = chat::plain_chat_prompt(body["messages"], where);  // also validates them
  } else {
    prompts = read_prompts(body, where);
    body["prompt"] = prompts[0];
  }
  // OpenAI's newer name wins when a client sends both.
  if (body.contains("max_completion_tokens") && !body["max_completion_tokens"].is_null()) {
    body["max_tokens"] = body["max_completion_tokens"];
  }
  // The sampling fields are the native ones, validated alike; what else the body may hold was
  // checked above (cli/job/openai_parameters.h).
  nlohmann::json native = nlohmann::json::object();
  for (const char* field : {"prompt", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed",
                            "presence_penalty", "frequency_penalty"}) {
    if (body.contains(field)) native[field] = body[field];
  }
  Request fields = parse_request_fields(native, where + ": body", line);
  if (req.chat) {
    const nlohmann::json kwargs = body.value("chat_template_kwargs", nlohmann::json());
    STRATA_CHECK_INPUT(kwargs.is_null() || kwargs.is_object(), where,
                       ": field 'body.chat_template_kwargs': expected an object, got ",
                       kwargs.dump());
    // Ordered, so a template's tojson writes the client's key order.
    const nlohmann::ordered_json& ordered_body = ordered["body"];
    fields.messages = ordered_body["messages"];
    fields.chat_template_kwargs = ordered_body.value("chat_template_kwargs", nlohmann::ordered_json());
  }
  fields.line = line;
  fields.id = req.id;
  fields.openai = true;
  fields.chat = req.chat;
  fields.n = read_n(body, where);
  fields.prompts = std::move(prompts);
  fields.logprobs = read_logprobs(body, req.chat, where);
  return fields;
}

}  // namespace strata::cli
