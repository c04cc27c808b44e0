// GPT-2 byte-level BPE tokenizer for HF vocab.json + merges.txt models (GPT-2, OPT, RoBERTa).
//
// encode: text bytes -> special tokens split out -> GPT-2 pre-tokenizer (pretokenizer.h) -> each
// word's bytes as byte symbols (byte_unicode.h) -> BPE merges by rank (bpe_merges.h) -> vocab ids.
// Ids are whatever vocab.json says (OPT: <s>=0, <pad>=1, </s>=2, <unk>=3), not GPT-2's.
// decode: ids -> raw bytes, concatenated before anything is interpreted as UTF-8, so a character
// whose bytes are split across tokens comes back whole once all its tokens are decoded.
//
// Immutable after load apart from an internal word cache behind a mutex: encode and decode may be
// called from several threads. Move-only. Implements Tokenizer (tokenizer.h) with no
// post-processor: these files define none, so encode(text, yes) == encode(text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace strata {

class BpeTokenizer final : public Tokenizer {
 public:
  // Reads <dir>/vocab.json and <dir>/merges.txt, and the special tokens named by
  // <dir>/special_tokens_map.json and <dir>/tokenizer_config.json where present (see
  // special_tokens.h). Any problem with a file: strata::InputError naming the file and line.
  static BpeTokenizer load(const std::filesystem::path& model_dir);
  // As load, with only the default special tokens ("<s>", "<pad>", "</s>", "<unk>" if in vocab).
  static BpeTokenizer from_files(const std::filesystem::path& vocab_json,
                                 const std::filesystem::path& merges_txt);

  BpeTokenizer(BpeTokenizer&&) noexcept;
  BpeTokenizer& operator=(BpeTokenizer&&) noexcept;
  ~BpeTokenizer() override;

  // No bos is added. A special token's string in the text becomes its id. Any bytes are accepted,
  // valid UTF-8 or not; a byte whose symbol the vocab lacks becomes <unk>, or InputError if the
  // vocab has no unk token.
  std::vector<int32_t> encode(std::string_view text) const;
  std::vector<int32_t> encode(std::string_view text, AddSpecialTokens) const override {
    return encode(text);
  }
  // Raw bytes (not necessarily valid UTF-8 when ids end inside a character). Ids that are not in
  // the vocab decode to nothing; special tokens decode to their text unless skip_special.
  std::string decode(std::span<const int32_t> ids, bool skip_special = true) const override;

  // Number of entries in vocab.json (as HF's tokenizer.vocab_size); ids may leave gaps.
  size_t vocab_size() const override;
  // The id of a token as spelled in vocab.json ("Ġthe", "</s>").
  std::optional<int32_t> token_id(std::string_view token) const override;
  bool adds_special_tokens() const override { return false; }

 private:
  struct Impl;
  explicit BpeTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
