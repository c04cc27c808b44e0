#include "engine/chat/token_stream.h"

#include "engine/chat/template_error.h"

namespace strata::chat {

const Token& TokenStream::peek(size_t ahead) const {
  const size_t i = pos_ + ahead;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();  // the last token is kEnd
}

Token TokenStream::next() {
  Token t = peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool TokenStream::is_op(const char* op, size_t ahead) const {
  return peek(ahead).type == Token::Type::kOp && peek(ahead).text == op;
}

bool TokenStream::is_name(const char* name, size_t ahead) const {
  return peek(ahead).type == Token::Type::kName && peek(ahead).text == name;
}

bool TokenStream::skip_op(const char* op) {
  if (!is_op(op)) return false;
  next();
  return true;
}

bool TokenStream::skip_name(const char* name) {
  if (!is_name(name)) return false;
  next();
  return true;
}

void TokenStream::expect_op(const char* op) {
  if (!skip_op(op)) fail(str_cat("expected '", op, "'"));
}

std::string TokenStream::expect_name() {
  if (peek().type != Token::Type::kName) fail("expected a name");
  return next().text;
}

void TokenStream::expect_end() {
  if (!at_end()) fail("unexpected tokens at the end of the tag");
}

void TokenStream::fail(const std::string& message) const {
  const Token& t = peek();
  const std::string got = t.type == Token::Type::kEnd      ? "end of tag"
                          : t.type == Token::Type::kString ? "a string literal"
                                                           : str_cat("'", t.text, "'");
  template_fail_at(origin_, t.line, message, ", got ", got);
}

}  // namespace strata::chat
