#include "engine/tokenizer/hf_pattern.h"

namespace strata {

HfPattern HfPattern::literal(std::string text) {
  HfPattern pattern;
  pattern.literal_ = std::move(text);
  return pattern;
}

HfPattern HfPattern::parse(const JsonField& field) {
  const JsonField literal = field["String"];
  const JsonField regex = field["Regex"];
  if (!literal.is_null()) return HfPattern::literal(literal.string());
  if (regex.is_null()) field.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  std::string error;
  std::optional<Regex> compiled = Regex::compile(onig_to_pcre2(regex.string()), error);
  if (!compiled) regex.fail("the regular expression does not compile: ", error);
  HfPattern pattern;
  pattern.regex_ = std::move(compiled);
  return pattern;
}

std::vector<std::pair<TextSpan, bool>> HfPattern::find_matches(std::string_view text) const {
  std::vector<TextSpan> matches;
  if (regex_) {
    matches = regex_->find_all(text);
  } else if (!literal_.empty()) {  // an empty literal matches nothing (pattern.rs)
    for (size_t at = text.find(literal_); at != std::string_view::npos;
         at = text.find(literal_, at + literal_.size())) {
      matches.push_back({at, at + literal_.size()});
    }
  }
  std::vector<std::pair<TextSpan, bool>> spans;
  size_t previous = 0;
  for (const TextSpan& match : matches) {
    if (match.begin > previous) spans.push_back({{previous, match.begin}, false});
    spans.push_back({match, true});
    previous = match.end;
  }
  if (previous < text.size()) spans.push_back({{previous, text.size()}, false});
  return spans;
}

std::string HfPattern::replace_all(std::string_view text, std::string_view content) const {
  std::string out;
  out.reserve(text.size());
  for (const auto& [span, is_match] : find_matches(text)) {
    if (is_match) {
      out += content;
    } else {
      out.append(text.substr(span.begin, span.end - span.begin));
    }
  }
  return out;
}

SplitBehavior parse_split_behavior(const JsonField& field) {
  const std::string name = field.string();
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  field.fail("\"", name,
             "\" is not supported (supported: Removed, Isolated, MergedWithPrevious, "
             "MergedWithNext, Contiguous)");
}

std::vector<TextSpan> split_text(std::string_view text, const HfPattern& pattern,
                                 SplitBehavior behavior, bool invert) {
  std::vector<std::pair<TextSpan, bool>> spans = pattern.find_matches(text);
  if (invert) {
    for (auto& span : spans) span.second = !span.second;
  }
  // The folds of NormalizedString::split, behaviour by behaviour.
  std::vector<TextSpan> pieces;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::removed:
      for (const auto& [span, is_match] : spans) {
        if (!is_match) pieces.push_back(span);
      }
      break;
    case SplitBehavior::isolated:
      for (const auto& span : spans) pieces.push_back(span.first);
      break;
    case SplitBehavior::merged_with_previous:
      for (const auto& [span, is_match] : spans) {
        if (is_match && !previous_match && !pieces.empty()) {
          pieces.back().end = span.end;
        } else {
          pieces.push_back(span);
        }
        previous_match = is_match;
      }
      break;
    case SplitBehavior::merged_with_next:  // the same fold, right to left
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->second && !previous_match && !pieces.empty()) {
          pieces.back().begin = it->first.begin;
        } else {
          pieces.push_back(it->first);
        }
        previous_match = it->second;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    case SplitBehavior::contiguous:
      for (const auto& [span, is_match] : spans) {
        if (is_match == previous_match && !pieces.empty()) {
          pieces.back().end = span.end;
        } else {
          pieces.push_back(span);
        }
        previous_match = is_match;
      }
      break;
  }
  std::erase_if(pieces, [](const TextSpan& piece) { return piece.begin == piece.end; });
  return pieces;
}

}  // namespace strata
