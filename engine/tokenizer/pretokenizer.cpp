#include "engine/tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <string>

#include "common/error.h"

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

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeDeleter>;
using MatchDataPtr = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

// Owns the compiled pattern. A compiled pcre2_code is read-only during matching and may be shared
// by threads; each split() gets its own match data.
class Gpt2Pretokenizer {
 public:
  Gpt2Pretokenizer() {
    int error = 0;
    PCRE2_SIZE offset = 0;
    const std::string pattern = gpt2_pattern();
    code_.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset,
                              nullptr));
    STRATA_CHECK(code_ != nullptr, "pcre2_compile error ", error, " at offset ", offset);
  }

  std::vector<std::string_view> split(std::string_view text) const {
    std::vector<std::string_view> pieces;
    MatchDataPtr match(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
    STRATA_CHECK(match != nullptr, "pcre2_match_data_create_from_pattern failed");
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0;
    while (pos < text.size()) {
      const int rc = pcre2_match(code_.get(), subject, text.size(), pos, 0, match.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      STRATA_CHECK(rc > 0, "pcre2_match failed with error ", rc, " at byte ", pos);
      const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match.get());
      STRATA_CHECK(span[1] > span[0], "the GPT-2 pattern matched an empty piece at byte ", span[0]);
      // Every valid character matches some alternative, so a gap is invalid UTF-8: keep it whole.
      if (span[0] > pos) pieces.push_back(text.substr(pos, span[0] - pos));
      pieces.push_back(text.substr(span[0], span[1] - span[0]));
      pos = span[1];
    }
    if (pos < text.size()) pieces.push_back(text.substr(pos));
    return pieces;
  }

 private:
  CodePtr code_;
};

}  // namespace

std::vector<std::string_view> pretokenize(std::string_view text) {
  // Compiled once, never modified: a constant, not hidden state. Static init is thread-safe.
  static const Gpt2Pretokenizer pretokenizer;
  return pretokenizer.split(text);
}

}  // namespace strata
