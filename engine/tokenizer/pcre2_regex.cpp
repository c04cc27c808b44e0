#include "engine/tokenizer/pcre2_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "common/error.h"
#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

// Unicode 15 White_Space, the set Oniguruma means by \s.
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
constexpr std::string_view kHexDigit = "0-9a-fA-F";

}  // namespace

std::string onig_to_pcre2(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      const std::string_view set = e == 's' || e == 'S' ? kWhiteSpace : kHexDigit;
      if ((e == 's' || e == 'h') && in_class) {
        out += set;
      } else if (e == 's' || e == 'h') {
        out.append("[").append(set).append("]");
      } else if ((e == 'S' || e == 'H') && !in_class) {
        out.append("[^").append(set).append("]");
      } else {  // any other escape (\p{L}, \x{..}, \r, \\, and \S inside a class) as it is
        out += c;
        out += e;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' first in the class (after an optional '^') is a literal in both dialects.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      const size_t close = pattern.find(":]", i + 2);  // a POSIX class such as [:alpha:]
      if (close != std::string_view::npos) {
        out.append(pattern.substr(i, close + 2 - i));
        i = close + 1;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

Regex::Regex(std::unique_ptr<Code> code) : code_(std::move(code)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

std::optional<Regex> Regex::compile(std::string_view pattern, std::string& error) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  auto compiled = std::make_unique<Code>();
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_MATCH_INVALID_UTF,
                                 &code, &offset, nullptr);
  if (compiled->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof(message));
    error = str_cat(reinterpret_cast<const char*>(message), " at offset ", offset);
    return std::nullopt;
  }
  // Without JIT (an unsupported platform) matching is only slower.
  compiled->jit = pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE) == 0;
  return Regex(std::move(compiled));
}

std::vector<TextSpan> Regex::find_all(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(code_->code, nullptr), &pcre2_match_data_free);
  STRATA_CHECK(match != nullptr, "pcre2_match_data_create_from_pattern failed");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::vector<TextSpan> spans;
  size_t search_from = 0;
  std::optional<size_t> last_match_end;
  while (search_from <= text.size()) {
    uint32_t options = PCRE2_NO_UTF_CHECK;
    int rc =
        pcre2_match(code_->code, subject, text.size(), search_from, options, match.get(), nullptr);
    // The JIT's default 32 KiB stack can run out on a pathological input; the interpreter keeps
    // its backtracking on the heap.
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      options |= PCRE2_NO_JIT;
      rc = pcre2_match(code_->code, subject, text.size(), search_from, options, match.get(),
                       nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    STRATA_CHECK(rc > 0, "pcre2_match failed with error ", rc, " at byte ", search_from);
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    const TextSpan span{ovector[0], ovector[1]};
    if (span.begin == span.end && last_match_end == span.end) {
      // onig's FindMatches: no empty match right where the last one ended; move one character on.
      if (search_from == text.size()) break;
      search_from = std::min(text.size(), search_from + utf8_length_at(text, search_from));
      continue;
    }
    spans.push_back(span);
    search_from = span.end;
    last_match_end = span.end;
  }
  return spans;
}

}  // namespace strata
