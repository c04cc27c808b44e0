// A model's chat template: Jinja2 source as transformers runs it (apply_chat_template: Jinja2
// with trim_blocks and lstrip_blocks, loopcontrols, transformers' tojson, raise_exception and
// strftime_now), parsed once and rendered per request. The engine covers what real templates use
// (Llama 3.x, Qwen2.5/3, Mistral, ...): for/if/set/macro/namespace, loop variables, slicing,
// Python string and dict methods, Jinja's filters and tests; anything else is an InputError
// "ORIGIN:LINE: unsupported template construct '...'" at parse time (or, for methods, when
// called). Output is byte-identical to Python's jinja2 for what it supports; the reference
// comparison lives in tests/chat and tests/reference/chat_template_reference.py.
//
// Immutable after parse; copies share the parsed tree; render() may run on several threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/chat/renderer.h"

namespace strata::chat {

struct Node;

class ChatTemplate {
 public:
  // origin names the template in errors ("path/tokenizer_config.json", "--chat-template FILE").
  // Throws InputError "ORIGIN:LINE: ..." for a syntax error or an unsupported construct.
  static ChatTemplate parse(std::string text, std::string origin);

  // context: the template's variables (messages, add_generation_prompt, bos_token, ...). An
  // ordered_json keeps object keys in the request's order, which tojson reproduces; a plain
  // nlohmann::json has them sorted already. Throws InputError "ORIGIN:LINE: ..." when the
  // template fails (raise_exception, undefined values used, type errors).
  std::string render(const nlohmann::ordered_json& context, const RenderOptions& options = {}) const;
  std::string render(const nlohmann::json& context, const RenderOptions& options = {}) const;

  const std::string& origin() const { return *origin_; }
  const std::string& source() const { return *source_; }

 private:
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const std::string> origin_;
  std::shared_ptr<const std::vector<std::unique_ptr<Node>>> body_;
};

}  // namespace strata::chat
