// A regular expression from tokenizer.json, run by PCRE2 (JIT-compiled where the platform allows).
//
// HF's `tokenizers` compiles these patterns with Oniguruma (Ruby syntax, UTF-8). The few places
// where the two dialects differ in meaning are rewritten before compiling (onig_to_pcre2):
//   \s, \S  Oniguruma: Unicode White_Space. PCRE2 10.42 also counts U+180E, which Unicode
//           dropped from White_Space in 6.3, so the set is spelled out.
//   \h, \H  Oniguruma (Ruby): a hex digit. PCRE2: horizontal white space.
//   ^, $    Ruby: always line anchors, hence PCRE2_MULTILINE.
// Compiled with PCRE2_MATCH_INVALID_UTF, so that a decoder's Replace may run over raw bytes: an
// invalid sequence simply never matches. The encode path passes valid UTF-8 (utf8.h) only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

struct TextSpan {
  size_t begin;
  size_t end;
};

// The Oniguruma pattern rewritten for PCRE2 as described above.
std::string onig_to_pcre2(std::string_view pattern);

class Regex {
 public:
  // The compiled pattern (already in PCRE2 dialect), or nullopt with PCRE2's message in `error`.
  static std::optional<Regex> compile(std::string_view pattern, std::string& error);

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // Every match, left to right and non-overlapping, as the onig crate's find_iter yields them: an
  // empty match right after the previous match is skipped by one character. Thread-safe.
  std::vector<TextSpan> find_all(std::string_view text) const;

 private:
  struct Code;
  explicit Regex(std::unique_ptr<Code> code);
  std::unique_ptr<Code> code_;
};

}  // namespace strata
