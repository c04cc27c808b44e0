#include "engine/chat/chat_template.h"

#include "engine/chat/ast.h"
#include "engine/chat/lexer.h"
#include "engine/chat/parser.h"
#include "engine/chat/template_error.h"
#include "engine/chat/text.h"

namespace strata::chat {

ChatTemplate ChatTemplate::parse(std::string text, std::string origin) {
  if (!is_valid_utf8(text)) fail_input(origin, ": the chat template is not valid UTF-8");
  ChatTemplate t;
  t.origin_ = std::make_shared<const std::string>(std::move(origin));
  t.source_ = std::make_shared<const std::string>(std::move(text));
  t.body_ = std::make_shared<const Body>(parse_template(lex_template(*t.source_, *t.origin_), *t.origin_));
  return t;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context, const RenderOptions& options) const {
  if (!context.is_object()) fail_input(*origin_, ": the render context must be a JSON object");
  const Value ctx = Value::from_json(context);
  Renderer renderer(*origin_, options);
  return renderer.render(*body_, ctx.dict());
}

std::string ChatTemplate::render(const nlohmann::json& context, const RenderOptions& options) const {
  return render(nlohmann::ordered_json(context), options);
}

}  // namespace strata::chat
