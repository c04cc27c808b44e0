#include "engine/tokenizer/bpe_merges.h"

#include <functional>
#include <queue>
#include <utility>

namespace strata {

BpeMerges::BpeMerges(std::vector<Rule> rules) : rules_(std::move(rules)) {
  ranks_.reserve(rules_.size());
  for (uint32_t rank = 0; rank < rules_.size(); ++rank) {
    ranks_.try_emplace(pair_key(rules_[rank].left, rules_[rank].right), rank);
  }
}

std::vector<int32_t> BpeMerges::apply(std::vector<int32_t> symbols) const {
  const int n = int(symbols.size());
  if (n < 2 || rules_.empty()) return symbols;

  // The word as a linked list over its original positions; a merged symbol lives at the position
  // of its left part, and the right part's slot is marked removed.
  constexpr int32_t kRemoved = -2;
  std::vector<int> next(n), prev(n);
  for (int i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }

  // Candidate merges (rank, position of the left symbol), lowest rank then leftmost first.
  using Candidate = std::pair<uint32_t, int>;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push_pair_at = [&](int pos) {
    if (pos < 0 || next[pos] >= n) return;
    const auto it = ranks_.find(pair_key(symbols[pos], symbols[next[pos]]));
    if (it != ranks_.end()) heap.emplace(it->second, pos);
  };
  for (int i = 0; i + 1 < n; ++i) push_pair_at(i);

  std::vector<int> batch;
  while (!heap.empty()) {
    // encoder.py merges *every* occurrence of the best pair before it looks at the pairs those
    // merges create, even ones of lower rank; so take all candidates of this rank first.
    const uint32_t rank = heap.top().first;
    batch.clear();
    while (!heap.empty() && heap.top().first == rank) {
      batch.push_back(heap.top().second);
      heap.pop();
    }
    const Rule& rule = rules_[rank];
    for (const int pos : batch) {  // ascending, hence left to right and non-overlapping
      // A candidate is stale once either symbol took part in another merge: merging only makes
      // symbols longer, so a changed slot never again holds the same symbol.
      if (symbols[pos] != rule.left) continue;
      const int right = next[pos];
      if (right >= n || symbols[right] != rule.right) continue;
      symbols[pos] = rule.merged;
      symbols[right] = kRemoved;
      next[pos] = next[right];
      if (next[pos] < n) prev[next[pos]] = pos;
      // The new pairs never have this rank (their symbols differ from the rule's), so they wait
      // for a later round, as in encoder.py.
      push_pair_at(prev[pos]);
      push_pair_at(pos);
    }
  }

  std::vector<int32_t> merged;
  for (int i = 0; i < n; i = next[i]) merged.push_back(symbols[i]);
  return merged;
}

}  // namespace strata
