// A cursor over one tag's tokens with the checks the parsers need; errors name the template
// origin and the line of the token where parsing stopped.
#pragma once

#include <string>
#include <vector>

#include "engine/chat/lexer.h"

namespace strata::chat {

class TokenStream {
 public:
  TokenStream(const std::vector<Token>& tokens, const std::string& origin)
      : tokens_(tokens), origin_(origin) {}
  const Token& peek(size_t ahead = 0) const;
  Token next();
  bool at_end() const { return peek().type == Token::Type::kEnd; }
  bool is_op(const char* op, size_t ahead = 0) const;
  bool is_name(const char* name, size_t ahead = 0) const;
  bool skip_op(const char* op);
  bool skip_name(const char* name);
  void expect_op(const char* op);
  std::string expect_name();
  void expect_end();
  [[noreturn]] void fail(const std::string& message) const;
  const std::string& origin() const { return origin_; }

 private:
  const std::vector<Token>& tokens_;
  const std::string& origin_;
  size_t pos_ = 0;
};

}  // namespace strata::chat
