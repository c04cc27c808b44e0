// HF tokenizers' Pattern (tokenizer/pattern.rs) and SplitDelimiterBehavior (normalizer.rs): what
// the Split pre-tokenizer and the Replace normalizer/decoder look for in a piece of text, and how
// a Split turns the matches into pieces.
//
// tokenizer.json spells a pattern {"String": "..."} (a literal) or {"Regex": "..."} (Oniguruma
// syntax, see pcre2_regex.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/hf_json.h"
#include "engine/tokenizer/pcre2_regex.h"

namespace strata {

class HfPattern {
 public:
  static HfPattern literal(std::string text);
  // `field` is {"String": s} or {"Regex": r}; a regex PCRE2 rejects is an InputError.
  static HfPattern parse(const JsonField& field);

  // The text cut into consecutive spans that each are a match (true) or lie between matches;
  // together they cover `text`. As pattern.rs find_matches.
  std::vector<std::pair<TextSpan, bool>> find_matches(std::string_view text) const;

  // Every match replaced by `content` (NormalizedString::replace, Replace decoder).
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string literal_;
  std::optional<Regex> regex_;
};

enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// tokenizer.json's "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous".
SplitBehavior parse_split_behavior(const JsonField& field);

// The non-empty pieces of `text` after NormalizedString::split(pattern, behavior); `invert` swaps
// which spans count as matches (the Split pre-tokenizer's "invert").
std::vector<TextSpan> split_text(std::string_view text, const HfPattern& pattern,
                                 SplitBehavior behavior, bool invert);

}  // namespace strata
