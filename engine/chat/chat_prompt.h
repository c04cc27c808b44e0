// Turns an OpenAI /v1/chat/completions "messages" array into the prompt text a model sees.
//
// With a chat template: exactly transformers' apply_chat_template(messages, tools=None,
// add_generation_prompt=True, tokenize=False, **kwargs): the template sees `messages` as given
// (content strings, lists of {"type": "text", ...} parts, tool_calls, ...), `tools` and
// `documents` as None, `add_generation_prompt` true, the tokenizer's special tokens
// (bos_token, eos_token, ...) and the request's chat_template_kwargs (vLLM's name; e.g.
// {"enable_thinking": false} for Qwen3). The prompt already holds any BOS the template writes,
// so it must be tokenized without adding special tokens again.
//
// Without one (the model ships none and no --chat-template is given): plain_chat_prompt, the
// "User:/Assistant:" layout Strata has always used.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/chat/chat_template.h"
#include "engine/chat/tokenizer_chat_config.h"

namespace strata::chat {

// Optional system/developer text + "\n\n", then "User: ...\n" / "Assistant: ...\n" turns,
// ending with "Assistant:" for the model to continue; list content joins its text parts.
// Throws InputError "WHERE: field 'body.messages': ..." for a malformed array.
std::string plain_chat_prompt(const nlohmann::ordered_json& messages, const std::string& where = "request");
std::string plain_chat_prompt(const nlohmann::json& messages, const std::string& where = "request");

// The templated prompt. template_kwargs: a JSON object (or null); its keys may not be
// messages/tools/documents/add_generation_prompt (Python would reject the duplicate keyword).
// Throws InputError: "WHERE: ..." for malformed messages or kwargs, "ORIGIN:LINE: ..." when
// the template fails (its own raise_exception included).
std::string templated_chat_prompt(const ChatTemplate& tmpl, const nlohmann::ordered_json& special_tokens,
                                  const nlohmann::ordered_json& messages,
                                  const nlohmann::ordered_json& template_kwargs,
                                  const std::string& where = "request", const RenderOptions& options = {});

// Chooses once per model how chat requests are rendered: the --chat-template file when given,
// else the model's own template, else plain_chat_prompt.
class ChatFormatter {
 public:
  // Throws InputError when a template file cannot be read or does not parse.
  static ChatFormatter for_model(const std::filesystem::path& model_dir,
                                 const std::optional<std::filesystem::path>& template_override);
  // A formatter over an already-loaded configuration (tests, or callers holding the config).
  static ChatFormatter from_config(TokenizerChatConfig config);

  bool has_template() const { return tmpl_.has_value(); }
  const std::optional<ChatTemplate>& chat_template() const { return tmpl_; }
  std::string render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& template_kwargs,
                     const std::string& where = "request", const RenderOptions& options = {}) const;

 private:
  std::optional<ChatTemplate> tmpl_;
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
};

}  // namespace strata::chat
