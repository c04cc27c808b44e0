// What a model directory says about chat formatting, read as transformers reads it:
//   - the template: <dir>/chat_template.jinja when present (transformers >= 4.43 saves it there),
//     else tokenizer_config.json "chat_template", a string or a list of {"name", "template"}
//     entries of which "default" is taken (as apply_chat_template does without a name);
//   - the special tokens the template sees (transformers' special_tokens_map: bos_token,
//     eos_token, unk_token, sep_token, pad_token, cls_token, mask_token and
//     additional_special_tokens, each a string or {"content": ...}, null or empty ones left out),
//     from tokenizer_config.json, overridden by special_tokens_map.json as from_pretrained does.
// A missing tokenizer_config.json, or one without a template, gives no template: callers then
// use plain_chat_prompt (chat_prompt.h).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace strata::chat {

struct TokenizerChatConfig {
  std::optional<std::string> chat_template;  // the template text
  std::string template_origin;               // the file it came from, for errors
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();

  // Throws InputError "FILE: ..." for unreadable or malformed files.
  static TokenizerChatConfig load(const std::filesystem::path& model_dir);
  // From an already-parsed tokenizer_config.json (origin names it in errors).
  static TokenizerChatConfig from_json(const nlohmann::ordered_json& config, const std::string& origin);
};

}  // namespace strata::chat
