#include "engine/chat/lexer.h"

#include <cstring>

#include "engine/chat/lexer_literals.h"
#include "engine/chat/template_error.h"
#include "engine/chat/text.h"

namespace strata::chat {
namespace {

int count_newlines(const std::string& s, size_t begin, size_t end) {
  int n = 0;
  for (size_t i = begin; i < end; ++i) n += s[i] == '\n';
  return n;
}

// Python's str.rstrip() (Unicode whitespace), used for `{%-`.
std::string rstrip_all(const std::string& s) { return py_strip(s, StripSide::kRight); }

// End of Python whitespace starting at pos (used for `-%}`, whose regex is `\s*`).
size_t skip_space(const std::string& s, size_t pos) {
  while (pos < s.size()) {
    size_t len = 1;
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b >= 0x80) len = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : 4;
    const std::u32string cp = decode_utf8(std::string_view(s).substr(pos, len));
    if (cp.empty() || !is_py_space(cp[0])) break;
    pos += len;
  }
  return pos;
}

// lstrip_blocks: whitespace between the last line start of `text` and the following `{%`/`{#`
// is dropped when nothing else is on that line (jinja2.lexer: `whitespace_re.fullmatch`).
void lstrip_line(std::string& text, bool line_starting) {
  const size_t nl = text.rfind('\n');
  const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
  if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
      py_strip(text.substr(l_pos), StripSide::kBoth).empty()) {
    text.resize(l_pos);
  }
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class TagLexer {
 public:
  TagLexer(const std::string& src, const std::string& origin, size_t pos, int line)
      : src_(src), origin_(origin), pos_(pos), line_(line) {}

  // Tokens up to the closing `close` ("}}" or "%}"); leaves pos() after it and reports whether
  // it carried '-' (strip after) or '+' (keep the trim_blocks newline).
  std::vector<Token> run(const char* close, char* modifier) {
    std::vector<Token> tokens;
    int depth = 0;  // open brackets: Jinja does not end a tag inside {...}, [...], (...)
    const size_t close_len = std::strlen(close);
    while (true) {
      while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) {
        line_ += src_[pos_] == '\n';
        ++pos_;
      }
      if (pos_ >= src_.size()) template_fail_at(origin_, start_line_, "unclosed tag (missing '", close, "')");
      if (depth == 0) {
        for (char m : {'-', '+', '\0'}) {
          const size_t at = pos_ + (m ? 1 : 0);
          if ((m == 0 || src_[pos_] == m) && src_.compare(at, close_len, close) == 0) {
            *modifier = m;
            pos_ = at + close_len;
            Token end;
            end.type = Token::Type::kEnd;
            end.line = line_;
            tokens.push_back(end);
            return tokens;
          }
        }
      }
      tokens.push_back(next(&depth));
    }
  }
  size_t pos() const { return pos_; }
  int line() const { return line_; }
  void set_start_line(int l) { start_line_ = l; }

 private:
  Token next(int* depth) {
    Token t;
    t.line = line_;
    const char c = src_[pos_];
    if (is_name_start(c)) {
      const size_t b = pos_;
      while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
      t.type = Token::Type::kName;
      t.text = src_.substr(b, pos_ - b);
      return t;
    }
    if (is_digit(c)) return number();
    if (c == '\'' || c == '"') {
      size_t i = pos_ + 1;
      while (i < src_.size() && src_[i] != c) i += src_[i] == '\\' ? 2 : 1;
      if (i >= src_.size()) template_fail_at(origin_, line_, "unterminated string literal");
      const std::string body = src_.substr(pos_ + 1, i - pos_ - 1);
      t.type = Token::Type::kString;
      t.text = decode_string_literal(body, origin_, line_);
      line_ += count_newlines(src_, pos_, i);
      pos_ = i + 1;
      return t;
    }
    static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                 ">",  "=",  ".",  ",",  ":",  "|",  "(", ")", "[", "]", "{", "}"};
    for (const char* op : kOps) {
      if (src_.compare(pos_, std::strlen(op), op) == 0) {
        pos_ += std::strlen(op);
        if (std::strchr("([{", op[0]) && op[1] == 0) ++*depth;
        if (std::strchr(")]}", op[0]) && op[1] == 0 && *depth > 0) --*depth;
        t.type = Token::Type::kOp;
        t.text = op;
        return t;
      }
    }
    template_fail_at(origin_, line_, "unexpected character '", std::string(1, c), "' in a tag");
  }

  Token number() {
    // Jinja: integers `(\d+_)*\d+`; floats need digits after the point and/or an exponent.
    Token t;
    t.line = line_;
    std::string digits;
    auto take_digits = [&] {
      while (pos_ < src_.size() && (is_digit(src_[pos_]) || (src_[pos_] == '_' && pos_ + 1 < src_.size() &&
                                                             is_digit(src_[pos_ + 1])))) {
        if (src_[pos_] != '_') digits += src_[pos_];
        ++pos_;
      }
    };
    take_digits();
    bool is_float = false;
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      is_float = true;
      digits += src_[pos_++];
      take_digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        is_float = true;
        digits += 'e';
        digits.append(src_, pos_ + 1, p - pos_ - 1);
        pos_ = p;
        take_digits();
      }
    }
    if (is_float) {
      t.type = Token::Type::kFloat;
      t.float_value = std::stod(digits);
    } else {
      t.type = Token::Type::kInt;
      try {
        t.int_value = std::stoll(digits);
      } catch (const std::out_of_range&) {
        template_fail_at(origin_, line_, "integer literal ", digits, " is out of range");
      }
    }
    t.text = digits;
    return t;
  }

  const std::string& src_;
  const std::string& origin_;
  size_t pos_;
  int line_;
  int start_line_ = 0;
};

}  // namespace

std::vector<Segment> lex_template(const std::string& raw, const std::string& origin) {
  // Newlines normalised to "\n"; one trailing newline dropped (keep_trailing_newline=False).
  std::string src;
  src.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      src += '\n';
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      src += raw[i];
    }
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();

  std::vector<Segment> out;
  size_t pos = 0;
  int line = 1;
  bool strip_next = false;    // previous tag ended with '-'
  bool trim_newline = false;  // previous tag was a block/comment ending without '+'
  while (pos <= src.size()) {
    if (strip_next) pos = skip_space(src, pos);
    if (trim_newline && pos < src.size() && src[pos] == '\n') ++pos;
    strip_next = trim_newline = false;
    line = 1 + count_newlines(src, 0, pos);

    size_t open = src.find('{', pos);
    while (open != std::string::npos && open + 1 < src.size() && src[open + 1] != '{' &&
           src[open + 1] != '%' && src[open + 1] != '#') {
      open = src.find('{', open + 1);
    }
    if (open == std::string::npos || open + 1 >= src.size()) open = src.size();
    std::string text = src.substr(pos, open - pos);
    const bool line_starting = pos == 0 || src[pos - 1] == '\n';
    if (open == src.size()) {
      if (!text.empty()) out.push_back({Segment::Type::kText, text, {}, line});
      break;
    }
    const char kind = src[open + 1];
    const char left = open + 2 < src.size() ? src[open + 2] : '\0';
    if (left == '-') {
      text = rstrip_all(text);
    } else if (left != '+' && kind != '{') {
      lstrip_line(text, line_starting);
    }
    if (!text.empty()) out.push_back({Segment::Type::kText, text, {}, line});
    const int tag_line = 1 + count_newlines(src, 0, open);
    size_t body = open + 2 + ((left == '-' || left == '+') ? 1 : 0);

    if (kind == '#') {
      size_t close = src.find("#}", body);
      if (close == std::string::npos) template_fail_at(origin, tag_line, "unclosed comment");
      const char m = close > body && (src[close - 1] == '-' || src[close - 1] == '+') ? src[close - 1] : 0;
      pos = close + 2;
      strip_next = m == '-';
      trim_newline = m == 0;
      continue;
    }
    TagLexer lexer(src, origin, body, tag_line);
    lexer.set_start_line(tag_line);
    char modifier = 0;
    Segment seg;
    seg.type = kind == '{' ? Segment::Type::kOutput : Segment::Type::kStatement;
    seg.line = tag_line;
    seg.tokens = lexer.run(kind == '{' ? "}}" : "%}", &modifier);
    pos = lexer.pos();
    strip_next = modifier == '-';
    trim_newline = kind == '%' && modifier == 0;

    // {% raw %}: everything up to {% endraw %} is text (whitespace control on both tags).
    if (seg.type == Segment::Type::kStatement && seg.tokens.size() == 2 &&
        seg.tokens[0].type == Token::Type::kName && seg.tokens[0].text == "raw") {
      size_t search = pos;
      while (true) {
        const size_t end_open = src.find("{%", search);
        if (end_open == std::string::npos) template_fail_at(origin, tag_line, "unclosed {% raw %}");
        size_t p = end_open + 2;
        const char em = src[p] == '-' || src[p] == '+' ? src[p] : 0;
        if (em) ++p;
        while (p < src.size() && std::isspace(static_cast<unsigned char>(src[p]))) ++p;
        if (src.compare(p, 6, "endraw") == 0) {
          size_t start = pos;
          // Jinja's raw-begin rule has no trim_blocks newline, only the `-%}` strip.
          if (strip_next) start = skip_space(src, start);
          std::string raw_text =
              src.substr(start, std::min(end_open, src.size()) - std::min(start, end_open));
          if (em == '-') {
            raw_text = rstrip_all(raw_text);
          } else if (em != '+') {
            lstrip_line(raw_text, start == 0 || src[start - 1] == '\n');
          }
          if (!raw_text.empty()) out.push_back({Segment::Type::kText, raw_text, {}, tag_line});
          TagLexer end_lexer(src, origin, p, 1 + count_newlines(src, 0, p));
          char end_mod = 0;
          end_lexer.run("%}", &end_mod);
          pos = end_lexer.pos();
          strip_next = end_mod == '-';
          trim_newline = end_mod == 0;
          break;
        }
        search = end_open + 2;
      }
      continue;
    }
    out.push_back(std::move(seg));
  }
  return out;
}

}  // namespace strata::chat
