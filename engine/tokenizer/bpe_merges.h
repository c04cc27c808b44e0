// The merge table of a byte-level BPE model and GPT-2's merge loop over one pre-tokenized word.
//
// Symbols are vocab ids. Rule r (0-based line order of merges.txt, lower = applied first) says
// that the adjacent pair (left, right) becomes `merged`. The loop is GPT-2's encoder.py bpe():
// repeatedly take the lowest-ranked pair present in the word and merge every non-overlapping
// occurrence of it left to right, until no pair has a rule. It runs in O(n log n) with a heap
// rather than encoder.py's O(n^2) rescans, so a long word without spaces cannot stall encode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace strata {

class BpeMerges {
 public:
  struct Rule {
    int32_t left;
    int32_t right;
    int32_t merged;
  };
  // A symbol value that no rule mentions, e.g. for a byte whose symbol is not in the vocab.
  static constexpr int32_t kNoSymbol = -1;

  BpeMerges() = default;
  // rules: in rank order. A repeated pair keeps its first (lowest) rank.
  explicit BpeMerges(std::vector<Rule> rules);

  // symbols: a word as one symbol id per byte; returns the merged symbols.
  std::vector<int32_t> apply(std::vector<int32_t> symbols) const;

  size_t size() const { return rules_.size(); }

 private:
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }

  std::vector<Rule> rules_;                       // by rank
  std::unordered_map<uint64_t, uint32_t> ranks_;  // pair_key -> rank
};

}  // namespace strata
