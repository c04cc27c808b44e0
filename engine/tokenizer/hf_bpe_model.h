// tokenizer.json's "model" of type BPE (HF models/bpe/model.rs, word.rs): one pre-tokenized word
// -> vocab ids.
//
// The word is split into characters, each looked up in the vocab; a character the vocab lacks
// becomes its UTF-8 bytes as "<0xXX>" tokens when byte_fallback is set (Llama 2, Mistral), else
// the unk token (consecutive ones fused when fuse_unk), else nothing. Then merges apply, lowest
// rank first and, within a rank, leftmost first, one at a time as word.rs merge_all does (unlike
// GPT-2's encoder.py, which merges every occurrence of a pair before looking at new pairs; the two
// agree on trained merge tables). With ignore_merges (Llama 3) a word that is itself in the vocab
// is that one token. `merges` may be "left right" strings or ["left", "right"] pairs (Qwen).
//
// Short words are cached behind a mutex; everything else is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/hf_json.h"
#include "engine/tokenizer/tokenizer_files.h"

namespace strata {

class HfBpeModel {
 public:
  // `model`: the "model" field of tokenizer.json (type BPE, or no type with vocab and merges).
  explicit HfBpeModel(const JsonField& model);

  // Appends the ids of `word` (valid UTF-8, non-empty) to `ids`. A character with no token, no
  // byte fallback and no unk token is dropped, as HF drops it.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  const Vocab& vocab() const { return vocab_; }

 private:
  struct Merge {
    uint32_t rank;
    int32_t merged;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  void read_merges(const JsonField& merges);
  std::vector<int32_t> symbols_of(std::string_view word) const;
  std::vector<int32_t> merge_all(std::vector<int32_t> symbols) const;

  Vocab vocab_;
  std::unordered_map<uint64_t, Merge> merges_;  // pair_key(left, right) -> rule
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  std::array<int32_t, 256> byte_ids_{};  // byte -> id of "<0xXX>", or -1 if the vocab lacks it

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace strata
