#include "engine/tokenizer/hf_added_tokens.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <unordered_map>

#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

// Rust regex's \w (Unicode): Alphabetic, marks, decimal numbers, connector punctuation, joiners.
bool is_word_char(char32_t c) {
  const int8_t type = u_charType(UChar32(c));
  return u_hasBinaryProperty(UChar32(c), UCHAR_ALPHABETIC) || type == U_NON_SPACING_MARK ||
         type == U_ENCLOSING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_DECIMAL_DIGIT_NUMBER || type == U_CONNECTOR_PUNCTUATION ||
         u_hasBinaryProperty(UChar32(c), UCHAR_JOIN_CONTROL);
}

// Rust regex's \s: Unicode White_Space.
bool is_space(char32_t c) { return u_isUWhiteSpace(UChar32(c)); }

// Start of the character that ends at `end` (> 0) in valid UTF-8.
size_t char_start_before(std::string_view s, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

}  // namespace

HfAddedTokens::HfAddedTokens(const JsonField& list, const Vocab& model_vocab,
                             const HfNormalizer* normalizer) {
  if (list.is_null()) return;
  std::unordered_map<std::string, size_t> index_of;  // content -> index in tokens_
  int64_t next_id = int64_t(model_vocab.size());
  for (size_t i = 0; i < list.array_size(); ++i) {
    const JsonField entry = list[i];
    HfAddedToken token;
    token.content = entry["content"].string();
    if (token.content.empty()) continue;  // HF ignores these
    token.special = entry.boolean_or("special", false);
    token.single_word = entry.boolean_or("single_word", false);
    token.lstrip = entry.boolean_or("lstrip", false);
    token.rstrip = entry.boolean_or("rstrip", false);
    token.normalized = entry.boolean_or("normalized", !token.special);
    token.form = token.content;
    if (token.normalized && normalizer != nullptr) normalizer->normalize(token.form);
    if (const auto it = index_of.find(token.content); it != index_of.end()) {
      token.id = tokens_[it->second].id;  // a repeated content: the last entry's flags count
      tokens_[it->second] = std::move(token);
      continue;
    }
    // added_vocabulary.rs add_tokens: the model's id, else the next one past everything so far.
    if (const auto it = model_vocab.find(token.content); it != model_vocab.end()) {
      token.id = it->second;
    } else {
      if (next_id > INT32_MAX) entry.fail("too many added tokens for 32-bit ids");
      token.id = int32_t(next_id++);
    }
    index_of.emplace(token.content, tokens_.size());
    tokens_.push_back(std::move(token));
  }
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    const HfAddedToken& token = tokens_[i];
    if (token.special) special_contents_.insert(token.content);
    if (token.form.empty()) continue;
    Pass& pass = token.normalized ? normalized_ : raw_;
    pass.by_first_byte[static_cast<unsigned char>(token.form[0])].push_back(i);
    pass.empty = false;
  }
  for (Pass* pass : {&raw_, &normalized_}) {
    for (auto& bucket : pass->by_first_byte) {
      std::stable_sort(bucket.begin(), bucket.end(), [&](uint32_t a, uint32_t b) {
        return tokens_[a].form.size() > tokens_[b].form.size();
      });
    }
  }
}

bool HfAddedTokens::is_special(std::string_view token_text) const {
  return special_contents_.find(token_text) != special_contents_.end();
}

std::optional<std::pair<size_t, uint32_t>> HfAddedTokens::find_next(std::string_view text,
                                                                    size_t from,
                                                                    const Pass& pass) const {
  for (size_t pos = from; pos < text.size(); ++pos) {
    for (const uint32_t index : pass.by_first_byte[static_cast<unsigned char>(text[pos])]) {
      if (text.substr(pos).starts_with(tokens_[index].form)) return std::pair{pos, index};
    }
  }
  return std::nullopt;
}

std::vector<AddedTokenSplit> HfAddedTokens::split(std::string_view text,
                                                  bool normalized_pass) const {
  const Pass& pass = normalized_pass ? normalized_ : raw_;
  std::vector<AddedTokenSplit> splits;
  size_t start_offset = 0;  // end of the last token taken
  size_t search_from = 0;   // where the matcher resumes: right after its last match
  while (!pass.empty) {
    const auto found = find_next(text, search_from, pass);
    if (!found) break;
    const HfAddedToken& token = tokens_[found->second];
    size_t start = found->first;
    size_t stop = start + token.form.size();
    search_from = stop;
    if (start < start_offset) continue;  // inside the white space an rstrip already took
    if (token.single_word) {
      const bool word_before =
          start > 0 && is_word_char(utf8_decode_at(text, char_start_before(text, start)));
      const bool word_after = stop < text.size() && is_word_char(utf8_decode_at(text, stop));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > start_offset) {
        const size_t before = char_start_before(text, new_start);
        if (!is_space(utf8_decode_at(text, before))) break;
        new_start = before;
      }
      start = new_start;
    }
    if (token.rstrip) {
      while (stop < text.size() && is_space(utf8_decode_at(text, stop))) {
        stop += utf8_length_at(text, stop);
      }
    }
    if (start > start_offset) splits.push_back({start_offset, start, std::nullopt});
    splits.push_back({start, stop, token.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) splits.push_back({start_offset, text.size(), std::nullopt});
  return splits;
}

}  // namespace strata
