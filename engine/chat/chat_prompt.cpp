#include "engine/chat/chat_prompt.h"

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace strata::chat {
namespace {

// Moved unchanged from cli/job/openai_batch.cpp (text_of + apply_chat_template).
std::string text_of(const nlohmann::ordered_json& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  // The structured form: [{"type": "text", "text": "..."}, ...]; only text parts are supported.
  STRATA_CHECK_INPUT(content.is_array(), where,
                     ": field 'content': expected a string or an "
                     "array of text parts, got ",
                     content.dump());
  std::string text;
  for (const auto& part : content) {
    STRATA_CHECK_INPUT(part.is_object() && part.contains("type") && part["type"] == "text" &&
                           part.contains("text") && part["text"].is_string(),
                       where, ": field 'content': only text parts are supported, got ", part.dump());
    text += part["text"].get<std::string>();
  }
  return text;
}

void check_messages(const nlohmann::ordered_json& messages, const std::string& where) {
  STRATA_CHECK_INPUT(messages.is_array() && !messages.empty(), where,
                     ": field 'body.messages': expected a non-empty array");
  for (const auto& m : messages) {
    STRATA_CHECK_INPUT(m.is_object() && m.contains("role") && m["role"].is_string(), where,
                       ": field 'body.messages': each message needs a string \"role\", got ", m.dump());
  }
}

}  // namespace

std::string plain_chat_prompt(const nlohmann::ordered_json& messages, const std::string& where) {
  STRATA_CHECK_INPUT(messages.is_array() && !messages.empty(), where,
                     ": field 'body.messages': expected a non-empty array");
  std::string prompt;
  for (const auto& m : messages) {
    STRATA_CHECK_INPUT(m.is_object() && m.contains("role") && m["role"].is_string() && m.contains("content"),
                       where,
                       ": field 'body.messages': each message needs \"role\" and "
                       "\"content\", got ",
                       m.dump());
    const std::string role = m["role"].get<std::string>();
    const std::string text = text_of(m["content"], where);
    if (role == "system" || role == "developer") {
      prompt += text + "\n\n";
    } else if (role == "user") {
      prompt += str_cat("User: ", text, "\n");
    } else if (role == "assistant") {
      prompt += str_cat("Assistant: ", text, "\n");
    } else {
      fail_input(where, ": field 'body.messages': unknown role '", role, "'");
    }
  }
  return prompt + "Assistant:";
}

std::string plain_chat_prompt(const nlohmann::json& messages, const std::string& where) {
  return plain_chat_prompt(nlohmann::ordered_json(messages), where);
}

std::string templated_chat_prompt(const ChatTemplate& tmpl, const nlohmann::ordered_json& special_tokens,
                                  const nlohmann::ordered_json& messages,
                                  const nlohmann::ordered_json& template_kwargs, const std::string& where,
                                  const RenderOptions& options) {
  check_messages(messages, where);
  STRATA_CHECK_INPUT(template_kwargs.is_null() || template_kwargs.is_object(), where,
                     ": field 'body.chat_template_kwargs': expected an object, got ", template_kwargs.dump());
  // transformers: render(messages=, tools=, documents=, add_generation_prompt=,
  //                      **{**special_tokens_map, **kwargs})
  nlohmann::ordered_json context = special_tokens;
  if (template_kwargs.is_object()) {
    for (const auto& [k, v] : template_kwargs.items()) {
      STRATA_CHECK_INPUT(k != "messages" && k != "tools" && k != "documents" && k != "add_generation_prompt",
                         where, ": field 'body.chat_template_kwargs': '", k, "' cannot be set there");
      context[k] = v;
    }
  }
  context["messages"] = messages;
  context["tools"] = nullptr;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = true;
  return tmpl.render(context, options);
}

ChatFormatter ChatFormatter::from_config(TokenizerChatConfig config) {
  ChatFormatter f;
  f.special_tokens_ = std::move(config.special_tokens);
  if (config.chat_template)
    f.tmpl_ = ChatTemplate::parse(std::move(*config.chat_template), config.template_origin);
  return f;
}

ChatFormatter ChatFormatter::for_model(const std::filesystem::path& model_dir,
                                       const std::optional<std::filesystem::path>& template_override) {
  TokenizerChatConfig config = TokenizerChatConfig::load(model_dir);
  if (template_override) {
    std::ifstream in(*template_override, std::ios::binary);
    STRATA_CHECK_INPUT(in, "--chat-template ", template_override->string(), ": cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    config.chat_template = ss.str();
    config.template_origin = template_override->string();
  }
  return from_config(std::move(config));
}

std::string ChatFormatter::render(const nlohmann::ordered_json& messages,
                                  const nlohmann::ordered_json& template_kwargs, const std::string& where,
                                  const RenderOptions& options) const {
  if (!tmpl_) return plain_chat_prompt(messages, where);
  return templated_chat_prompt(*tmpl_, special_tokens_, messages, template_kwargs, where, options);
}

}  // namespace strata::chat
