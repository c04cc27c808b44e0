#include "engine/tokenizer/hf_bpe_model.h"

#include <cstdio>
#include <limits>
#include <queue>

#include "engine/tokenizer/utf8.h"
#include "common/json_guard.h"

namespace strata {
namespace {

// As HF's BPE cache (MAX_LENGTH, DEFAULT_CACHE_CAPACITY): long words are rare and merge in
// O(n log n) anyway; the cap bounds memory on text of mostly unique words.
constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCachedWords = 10000;

Vocab read_vocab(const JsonField& field) {
  if (!field.json().is_object()) field.fail("expected an object of token -> id");
  Vocab vocab;
  vocab.reserve(field.json().size());
  for (const auto& [token, value] : field.json().items()) {
    constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max();
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > kMaxId) {
      field.fail("token \"", token, "\" has id ", json_excerpt(value), "; expected an integer in [0, ",
                 kMaxId, "]");
    }
    vocab.emplace(token, int32_t(value.get<int64_t>()));
  }
  return vocab;
}

}  // namespace

HfBpeModel::HfBpeModel(const JsonField& model) {
  const JsonField vocab = model["vocab"];
  if (vocab.is_null()) vocab.fail("missing; a BPE model needs its vocab");
  vocab_ = read_vocab(vocab);
  read_merges(model["merges"]);

  const JsonField dropout = model["dropout"];
  if (!dropout.is_null() && dropout.json() != 0) {
    dropout.fail("BPE dropout (random merges) is not supported; expected null");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!model.string_or(key, "").empty()) {
      model[key].fail("a non-empty value is not supported (supported: null or \"\")");
    }
  }
  const JsonField unk = model["unk_token"];
  if (!unk.is_null()) {
    const auto it = vocab_.find(unk.string());
    if (it == vocab_.end()) unk.fail("\"", unk.string(), "\" is not in model.vocab");
    unk_id_ = it->second;
  }
  fuse_unk_ = model.boolean_or("fuse_unk", false);
  ignore_merges_ = model.boolean_or("ignore_merges", false);
  byte_fallback_ = model.boolean_or("byte_fallback", false);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);  // HF: format!("<{b:#04X}>")
    const auto it = vocab_.find(std::string_view(name));
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

void HfBpeModel::read_merges(const JsonField& merges) {
  if (merges.is_null()) merges.fail("missing; a BPE model needs its merges (may be [])");
  const size_t count = merges.array_size();
  merges_.reserve(count);
  uint32_t rank = 0;
  std::string merged;
  for (size_t i = 0; i < count; ++i) {
    const JsonField merge = merges[i];
    std::string left, right;
    if (merge.json().is_string()) {
      const std::string line = merge.string();
      if (line.starts_with("#version")) continue;  // merges.txt's header, skipped by HF too
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        merge.fail("expected \"left right\" (one space), found \"", line, "\"");
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.json().is_array() && merge.json().size() == 2 && merge.json()[0].is_string() &&
               merge.json()[1].is_string()) {
      left = merge.json()[0].get<std::string>();
      right = merge.json()[1].get<std::string>();
    } else {
      merge.fail("expected \"left right\" or [\"left\", \"right\"], found ", json_excerpt(merge.json()));
    }
    merged = left + right;
    int32_t ids[3];
    const std::string* parts[3] = {&left, &right, &merged};
    for (int k = 0; k < 3; ++k) {
      const auto it = vocab_.find(*parts[k]);
      if (it == vocab_.end()) merge.fail("\"", *parts[k], "\" is not in model.vocab");
      ids[k] = it->second;
    }
    // A repeated pair takes its last rank, as HF's collect into a HashMap does.
    merges_[pair_key(ids[0], ids[1])] = {rank++, ids[2]};
  }
}

std::vector<int32_t> HfBpeModel::symbols_of(std::string_view word) const {
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  bool pending_unk = false;  // an unk not yet emitted, so that fuse_unk can extend it
  for (size_t pos = 0; pos < word.size();) {
    const size_t len = utf8_length_at(word, pos);
    const std::string_view character = word.substr(pos, len);
    pos += len;
    if (const auto it = vocab_.find(character); it != vocab_.end()) {
      if (pending_unk) symbols.push_back(*unk_id_);
      pending_unk = false;
      symbols.push_back(it->second);
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes = true;
      for (const char c : character) all_bytes = all_bytes && byte_ids_[uint8_t(c)] >= 0;
      if (all_bytes) {
        // model.rs pushes these without emitting a pending unk first; the unk follows later.
        for (const char c : character) symbols.push_back(byte_ids_[uint8_t(c)]);
        continue;
      }
    }
    if (!unk_id_) continue;  // model.rs drops a character it cannot spell at all
    if (pending_unk && !fuse_unk_) symbols.push_back(*unk_id_);
    pending_unk = true;
  }
  if (pending_unk) symbols.push_back(*unk_id_);
  return symbols;
}

std::vector<int32_t> HfBpeModel::merge_all(std::vector<int32_t> symbols) const {
  const int n = int(symbols.size());
  if (n < 2 || merges_.empty()) return symbols;
  // The word as a linked list over its symbol slots; a merge keeps the left slot and empties the
  // right one (word.rs: len = 0).
  std::vector<int> prev(n), next(n);
  std::vector<bool> removed(n, false);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1;
  }
  struct Candidate {
    uint32_t rank;
    int pos;
    int32_t merged;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_pair_at = [&](int pos) {
    if (pos < 0 || next[pos] >= n) return;
    const auto it = merges_.find(pair_key(symbols[pos], symbols[next[pos]]));
    if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.merged});
  };
  for (int i = 0; i + 1 < n; ++i) push_pair_at(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (removed[top.pos] || next[top.pos] >= n) continue;
    const int right = next[top.pos];
    // A stale entry: one of its symbols has merged since it was queued.
    const auto it = merges_.find(pair_key(symbols[top.pos], symbols[right]));
    if (it == merges_.end() || it->second.merged != top.merged) continue;
    symbols[top.pos] = top.merged;
    removed[right] = true;
    next[top.pos] = next[right];
    if (next[right] < n) prev[next[right]] = top.pos;
    push_pair_at(prev[top.pos]);
    push_pair_at(top.pos);
  }
  std::vector<int32_t> merged;
  for (int i = 0; i < n; i = next[i]) merged.push_back(symbols[i]);
  return merged;
}

void HfBpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (ignore_merges_) {
    if (const auto it = vocab_.find(word); it != vocab_.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() < kMaxCachedWordBytes;
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(word); it != cache_.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> merged = merge_all(symbols_of(word));
  ids.insert(ids.end(), merged.begin(), merged.end());
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedWords) cache_.clear();
    cache_.try_emplace(std::string(word), std::move(merged));
  }
}

}  // namespace strata
