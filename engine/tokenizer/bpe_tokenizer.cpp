#include "engine/tokenizer/bpe_tokenizer.h"

#include <array>
#include <mutex>
#include <unordered_map>

#include "common/error.h"
#include "engine/tokenizer/bpe_merges.h"
#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer_files.h"

namespace strata {
namespace {

// Words repeat a lot in natural text; short ones are cached. The cap bounds memory on long
// inputs of mostly unique words (cleared when full: simple, and refilled quickly).
constexpr size_t kMaxCachedWords = 1 << 16;
constexpr size_t kMaxCachedWordBytes = 256;

}  // namespace

struct BpeTokenizer::Impl {
  std::string vocab_name;  // for messages
  Vocab vocab;
  BpeMerges merges;
  SpecialTokens specials;
  std::array<int32_t, 256> byte_ids{};  // byte -> id of its symbol, or BpeMerges::kNoSymbol

  struct Decoded {
    std::string bytes;
    bool special = false;
  };
  std::unordered_map<int32_t, Decoded> decoded;

  mutable std::mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache;

  Impl(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
       const std::filesystem::path& model_dir)
      : vocab_name(vocab_json.string()),
        vocab(read_vocab_json(vocab_json)),
        merges(read_merges_txt(merges_txt, vocab)),
        specials(find_special_tokens(vocab, model_dir)) {
    for (int b = 0; b < 256; ++b) {
      const auto it = vocab.find(byte_symbol(uint8_t(b)));
      byte_ids[b] = it == vocab.end() ? BpeMerges::kNoSymbol : it->second;
    }
    decoded.reserve(vocab.size());
    for (const auto& [token, id] : vocab) decoded[id] = {symbols_to_bytes(token), false};
    // A special token reads as itself, not as byte symbols (the same for ASCII ones like "</s>").
    for (const SpecialToken& special : specials.tokens) decoded[special.id] = {special.content, true};
  }

  [[noreturn]] void fail_missing_byte(std::string_view word) const {
    for (const char c : word) {
      if (byte_ids[uint8_t(c)] == BpeMerges::kNoSymbol) {
        fail_input(vocab_name, ": has no symbol \"", byte_symbol(uint8_t(c)), "\" for byte ",
                   int(uint8_t(c)), " of the text, and no <unk> token to stand for it");
      }
    }
    STRATA_CHECK(false, "no missing byte in a word with an unknown symbol");
  }

  void encode_word(std::string_view word, std::vector<int32_t>& out) const {
    const bool cacheable = word.size() <= kMaxCachedWordBytes;
    if (cacheable) {
      std::lock_guard lock(cache_mutex);
      if (const auto it = cache.find(word); it != cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> symbols(word.size());
    for (size_t i = 0; i < word.size(); ++i) symbols[i] = byte_ids[uint8_t(word[i])];
    std::vector<int32_t> ids = merges.apply(std::move(symbols));
    for (int32_t& id : ids) {
      if (id != BpeMerges::kNoSymbol) continue;
      if (!specials.unk_id) fail_missing_byte(word);
      id = *specials.unk_id;
    }
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      std::lock_guard lock(cache_mutex);
      if (cache.size() >= kMaxCachedWords) cache.clear();
      cache.try_emplace(std::string(word), std::move(ids));
    }
  }
};

BpeTokenizer::BpeTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTokenizer::BpeTokenizer(BpeTokenizer&&) noexcept = default;
BpeTokenizer& BpeTokenizer::operator=(BpeTokenizer&&) noexcept = default;
BpeTokenizer::~BpeTokenizer() = default;

BpeTokenizer BpeTokenizer::load(const std::filesystem::path& model_dir) {
  return BpeTokenizer(
      std::make_unique<Impl>(model_dir / "vocab.json", model_dir / "merges.txt", model_dir));
}

BpeTokenizer BpeTokenizer::from_files(const std::filesystem::path& vocab_json,
                                      const std::filesystem::path& merges_txt) {
  return BpeTokenizer(std::make_unique<Impl>(vocab_json, merges_txt, std::filesystem::path()));
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  STRATA_CHECK(impl_ != nullptr, "encode on a moved-from BpeTokenizer");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3);
  for (const TextSegment& segment : split_at_special_tokens(text, impl_->specials.tokens)) {
    if (segment.special_id) {
      ids.push_back(*segment.special_id);
      continue;
    }
    for (const std::string_view word : pretokenize(segment.text)) impl_->encode_word(word, ids);
  }
  return ids;
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  STRATA_CHECK(impl_ != nullptr, "decode on a moved-from BpeTokenizer");
  std::string text;
  for (const int32_t id : ids) {
    const auto it = impl_->decoded.find(id);
    if (it == impl_->decoded.end() || (skip_special && it->second.special)) continue;
    text += it->second.bytes;
  }
  return text;
}

size_t BpeTokenizer::vocab_size() const {
  STRATA_CHECK(impl_ != nullptr, "vocab_size on a moved-from BpeTokenizer");
  return impl_->vocab.size();
}

std::optional<int32_t> BpeTokenizer::token_id(std::string_view token) const {
  STRATA_CHECK(impl_ != nullptr, "token_id on a moved-from BpeTokenizer");
  const auto it = impl_->vocab.find(token);
  if (it == impl_->vocab.end()) return std::nullopt;
  return it->second;
}

}  // namespace strata
