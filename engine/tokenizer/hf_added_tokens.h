// tokenizer.json's "added_tokens" (HF tokenizer/added_vocabulary.rs): strings matched in the text
// before the model sees it, each becoming its own id.
//
// Matching runs in two passes, as HF's extract_and_normalize: tokens with normalized=false are
// found in the raw text first; the stretches between them are normalized, and tokens with
// normalized=true are then found in that normalized text, spelled as the normalizer rewrites
// them. Within a pass the leftmost match wins, the longest on a tie. single_word drops a match
// that touches a word character; lstrip/rstrip make a match swallow the white space beside it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/tokenizer/hf_json.h"
#include "engine/tokenizer/hf_normalizer.h"
#include "engine/tokenizer/tokenizer_files.h"

namespace strata {

struct HfAddedToken {
  std::string content;
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
  // What the text is searched for and what decode() shows: the content, or for a normalized
  // token the content as normalized (HF's normalized_cache).
  std::string form;
};

// A stretch [begin, end) of the text that is either one added token or text between tokens.
struct AddedTokenSplit {
  size_t begin;
  size_t end;
  std::optional<int32_t> id;
};

class HfAddedTokens {
 public:
  HfAddedTokens() = default;
  // Ids as HF assigns them on load: a token the model vocab has takes that id, any other the next
  // id after the vocab (the file's "id" is only checked against this by HF, with a warning).
  HfAddedTokens(const JsonField& list, const Vocab& model_vocab, const HfNormalizer* normalizer);

  // The text cut at every token of the pass (normalized or not); non-empty stretches in order,
  // covering `text` (HF find_matches).
  std::vector<AddedTokenSplit> split(std::string_view text, bool normalized_pass) const;

  const std::vector<HfAddedToken>& tokens() const { return tokens_; }
  bool is_special(std::string_view token_text) const;

 private:
  struct Pass {
    // first byte -> indices into tokens_ whose form starts with it, longest form first
    std::vector<std::vector<uint32_t>> by_first_byte = std::vector<std::vector<uint32_t>>(256);
    bool empty = true;
  };
  // The leftmost-longest next occurrence at or after `from` of a token in `pass`.
  std::optional<std::pair<size_t, uint32_t>> find_next(std::string_view text, size_t from,
                                                       const Pass& pass) const;

  std::vector<HfAddedToken> tokens_;
  Pass raw_;         // normalized == false
  Pass normalized_;  // normalized == true
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_contents_;
};

}  // namespace strata
