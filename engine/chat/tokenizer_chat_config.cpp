#include "engine/chat/tokenizer_chat_config.h"

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/json_guard.h"

namespace strata::chat {
namespace {

const char* const kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                         "pad_token", "cls_token", "mask_token"};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path.string(), ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json read_json(const std::filesystem::path& path) {
  try {
    const std::string text = read_file(path);
    check_json_depth(text, path.string());
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_input(path.string(), ": not valid JSON: ", e.what());
  }
}

// A token is "text" or an AddedToken {"content": "text", ...}; null means unset.
std::optional<std::string> token_text(const nlohmann::ordered_json& v, const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  fail_input(where, ": expected a string or {\"content\": ...}, got ", json_excerpt(v));
}

void take_special_tokens(const nlohmann::ordered_json& config, const std::string& origin,
                         nlohmann::ordered_json& tokens) {
  for (const char* key : kSpecialTokenKeys) {
    if (!config.contains(key)) continue;
    const auto text = token_text(config[key], origin + ": field '" + key + "'");
    if (text)
      tokens[key] = *text;
    else
      tokens.erase(key);
  }
  if (config.contains("additional_special_tokens")) {
    const auto& list = config["additional_special_tokens"];
    if (!list.is_array()) fail_input(origin, ": field 'additional_special_tokens': expected an array");
    nlohmann::ordered_json texts = nlohmann::ordered_json::array();
    for (const auto& t : list) {
      if (auto s = token_text(t, origin + ": field 'additional_special_tokens'")) texts.push_back(*s);
    }
    if (texts.empty())
      tokens.erase("additional_special_tokens");
    else
      tokens["additional_special_tokens"] = texts;
  }
}

}  // namespace

TokenizerChatConfig TokenizerChatConfig::from_json(const nlohmann::ordered_json& config,
                                                   const std::string& origin) {
  TokenizerChatConfig out;
  if (!config.is_object()) fail_input(origin, ": expected a JSON object");
  take_special_tokens(config, origin, out.special_tokens);
  if (!config.contains("chat_template") || config["chat_template"].is_null()) return out;
  const auto& t = config["chat_template"];
  out.template_origin = origin;
  if (t.is_string()) {
    out.chat_template = t.get<std::string>();
    return out;
  }
  if (!t.is_array())
    fail_input(origin, ": field 'chat_template': expected a string or a list of {name, template}");
  for (const auto& entry : t) {
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
        !entry["name"].is_string() || !entry["template"].is_string()) {
      fail_input(origin, ": field 'chat_template': each entry needs string 'name' and 'template', got ",
                 entry.dump());
    }
    if (entry["name"] == "default") out.chat_template = entry["template"].get<std::string>();
  }
  // transformers raises when named templates have no "default" and none is asked for by name.
  if (!out.chat_template) fail_input(origin, ": field 'chat_template': no template named \"default\"");
  return out;
}

TokenizerChatConfig TokenizerChatConfig::load(const std::filesystem::path& model_dir) {
  const auto config_path = model_dir / "tokenizer_config.json";
  TokenizerChatConfig out;
  if (std::filesystem::exists(config_path)) out = from_json(read_json(config_path), config_path.string());
  const auto map_path = model_dir / "special_tokens_map.json";
  if (std::filesystem::exists(map_path)) {
    const auto map = read_json(map_path);
    if (!map.is_object()) fail_input(map_path.string(), ": expected a JSON object");
    take_special_tokens(map, map_path.string(), out.special_tokens);
  }
  const auto jinja_path = model_dir / "chat_template.jinja";
  if (std::filesystem::exists(jinja_path)) {
    out.chat_template = read_file(jinja_path);
    out.template_origin = jinja_path.string();
  }
  return out;
}

}  // namespace strata::chat
