#include "engine/chat/parser.h"

#include <set>

#include "engine/chat/parser_expr.h"
#include "engine/chat/template_error.h"

namespace strata::chat {
namespace {

std::unique_ptr<Node> make(Node::Kind kind, int line) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->line = line;
  return n;
}

class StatementParser {
 public:
  StatementParser(const std::vector<Segment>& segments, const std::string& origin)
      : segs_(segments), origin_(origin) {}

  Body parse_all() {
    std::string end_tag;
    Body body = parse_body({}, &end_tag);
    return body;
  }

 private:
  // Parses nodes until a statement whose name is in `ends`; stores that name in *end_tag and
  // leaves its token stream positioned after the name (in stream_ for the caller to finish).
  Body parse_body(const std::set<std::string>& ends, std::string* end_tag) {
    Body body;
    while (pos_ < segs_.size()) {
      const Segment& seg = segs_[pos_++];
      if (seg.type == Segment::Type::kText) {
        auto n = make(Node::Kind::kText, seg.line);
        n->text = seg.text;
        body.push_back(std::move(n));
        continue;
      }
      stream_ = std::make_unique<TokenStream>(seg.tokens, origin_);
      ExprParser ep(*stream_);
      if (seg.type == Segment::Type::kOutput) {
        auto n = make(Node::Kind::kOutput, seg.line);
        n->expr = ep.tuple();
        stream_->expect_end();
        body.push_back(std::move(n));
        continue;
      }
      const int line = seg.line;
      if (stream_->at_end()) template_fail_at(origin_, line, "empty statement tag");
      const std::string name = stream_->expect_name();
      if (ends.count(name)) {
        *end_tag = name;
        return body;
      }
      body.push_back(statement(name, line));
    }
    if (!ends.empty()) {
      template_fail_at(origin_, open_line_, "missing {% ", *ends.rbegin(), " %} for the tag opened here");
    }
    return body;
  }

  // Parses the body of a block statement opened at `line` up to one of `ends`.
  Body block(const std::set<std::string>& ends, std::string* end_tag, int line) {
    const int saved = open_line_;
    open_line_ = line;
    Body b = parse_body(ends, end_tag);
    open_line_ = saved;
    return b;
  }

  std::unique_ptr<Node> statement(const std::string& name, int line) {
    ExprParser ep(*stream_);
    std::string end;
    if (name == "if") {
      auto n = make(Node::Kind::kIf, line);
      ExprPtr cond = ep.tuple(false);
      stream_->expect_end();
      while (true) {
        Body b = block({"elif", "else", "endif"}, &end, line);
        n->branches.emplace_back(std::move(cond), std::move(b));
        if (end == "elif") {
          ExprParser cp(*stream_);
          cond = cp.tuple(false);
          stream_->expect_end();
        } else if (end == "else") {
          stream_->expect_end();
          n->branches.emplace_back(nullptr, block({"endif"}, &end, line));
          stream_->expect_end();
          break;
        } else {
          stream_->expect_end();
          break;
        }
      }
      return n;
    }
    if (name == "for") {
      auto n = make(Node::Kind::kFor, line);
      n->targets = ep.targets(nullptr, false);
      if (!stream_->skip_name("in")) stream_->fail("expected 'in' in a for statement");
      n->expr = ep.tuple(false);
      if (stream_->skip_name("if")) n->filter = ep.expression(true);
      if (stream_->is_name("recursive")) unsupported("for ... recursive", line);
      stream_->expect_end();
      ++loop_depth_;
      n->body = block({"else", "endfor"}, &end, line);
      --loop_depth_;
      if (end == "else") {
        stream_->expect_end();
        n->else_body = block({"endfor"}, &end, line);
      }
      stream_->expect_end();
      return n;
    }
    if (name == "set") {
      std::string attr;
      std::vector<std::string> targets = ep.targets(&attr, true);
      if (stream_->skip_op("=")) {
        auto n = make(Node::Kind::kSet, line);
        n->targets = std::move(targets);
        n->attr = attr;
        n->expr = ep.tuple(true);
        stream_->expect_end();
        return n;
      }
      if (stream_->is_op("|")) unsupported("set block with a filter", line);
      if (targets.size() != 1 || !attr.empty()) stream_->fail("expected '='");
      stream_->expect_end();
      auto n = make(Node::Kind::kSetBlock, line);
      n->targets = std::move(targets);
      n->body = block({"endset"}, &end, line);
      stream_->expect_end();
      return n;
    }
    if (name == "macro") {
      auto n = make(Node::Kind::kMacro, line);
      n->name = stream_->expect_name();
      stream_->expect_op("(");
      while (!stream_->is_op(")")) {
        std::string param = stream_->expect_name();
        ExprPtr def = stream_->skip_op("=") ? ep.expression() : nullptr;
        n->params.emplace_back(std::move(param), std::move(def));
        if (!stream_->skip_op(",")) break;
      }
      stream_->expect_op(")");
      stream_->expect_end();
      const int saved_depth = loop_depth_;
      loop_depth_ = 0;  // a macro body is not inside the caller's loop
      n->body = block({"endmacro"}, &end, line);
      loop_depth_ = saved_depth;
      stream_->skip_name(n->name.c_str());  // `{% endmacro name %}` is allowed
      stream_->expect_end();
      return n;
    }
    if (name == "break" || name == "continue") {
      stream_->expect_end();
      if (loop_depth_ == 0) template_fail_at(origin_, line, "{% ", name, " %} outside a for loop");
      return make(name == "break" ? Node::Kind::kBreak : Node::Kind::kContinue, line);
    }
    if (name == "generation") {
      stream_->expect_end();
      auto n = make(Node::Kind::kScope, line);
      n->body = block({"endgeneration"}, &end, line);
      stream_->expect_end();
      return n;
    }
    static const std::set<std::string> kClosers = {"endif", "endfor", "endset",        "endmacro",
                                                   "elif",  "else",   "endgeneration", "endraw"};
    if (kClosers.count(name))
      template_fail_at(origin_, line, "unexpected {% ", name, " %} (nothing open that it closes)");
    unsupported(name, line);
  }

  [[noreturn]] void unsupported(const std::string& what, int line) {
    template_fail_at(origin_, line, "unsupported template construct '{% ", what, " %}'");
  }

  const std::vector<Segment>& segs_;
  const std::string& origin_;
  size_t pos_ = 0;
  int open_line_ = 0;
  int loop_depth_ = 0;
  std::unique_ptr<TokenStream> stream_;
};

}  // namespace

Body parse_template(const std::vector<Segment>& segments, const std::string& origin) {
  return StatementParser(segments, origin).parse_all();
}

}  // namespace strata::chat
