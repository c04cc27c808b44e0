#include "engine/tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <optional>
#include <string>

#include "common/error.h"
#include "engine/tokenizer/pcre2_regex.h"

// PCRE2_MATCH_INVALID_UTF (10.34) lets one pattern run over text that is not valid UTF-8: invalid
// sequences simply never match, instead of failing the whole match. Debian 12 ships 10.42.
static_assert(PCRE2_MAJOR > 10 || (PCRE2_MAJOR == 10 && PCRE2_MINOR >= 34),
              "the pre-tokenizer needs PCRE2 10.34 or newer (PCRE2_MATCH_INVALID_UTF)");

namespace strata {
namespace {

// GPT-2's pattern with \s spelled out as Unicode's White_Space property, which is what Python's
// `regex` module (and so GPT-2) means by \s. PCRE2's \s also takes U+180E MONGOLIAN VOWEL
// SEPARATOR, a format character since Unicode 6.3, which would split words GPT-2 keeps whole.
// \S becomes [^...] with the same set; (?![^...]) is (?!\S), true at the end of the text too.
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string gpt2_pattern() {
  const std::string ws(kWhiteSpace);
  return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^)" + ws + R"(\p{L}\p{N}]+|[)" + ws +
         "]+(?![^" + ws + "])|[" + ws + "]+";
}

Regex compile_gpt2() {
  std::string error;
  std::optional<Regex> regex = Regex::compile(gpt2_pattern(), error);
  STRATA_CHECK(regex.has_value(), "the GPT-2 pattern does not compile: ", error);
  return std::move(*regex);
}

}  // namespace

std::vector<std::string_view> pretokenize(std::string_view text) {
  // Compiled once (JIT), never modified: a constant, not hidden state; static init is
  // thread-safe. The shared Regex matches without re-validating the whole text at every piece
  // (which made long prompts quadratic).
  static const Regex gpt2 = compile_gpt2();
  std::vector<std::string_view> pieces;
  size_t pos = 0;
  for (const TextSpan& span : gpt2.find_all(text)) {
    // Every valid character matches some alternative, so a gap is invalid UTF-8: keep it whole.
    if (span.begin > pos) pieces.push_back(text.substr(pos, span.begin - pos));
    if (span.end > span.begin) pieces.push_back(text.substr(span.begin, span.end - span.begin));
    pos = std::max(pos, span.end);
  }
  if (pos < text.size()) pieces.push_back(text.substr(pos));
  return pieces;
}

}  // namespace strata
