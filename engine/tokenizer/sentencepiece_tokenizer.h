// A tokenizer from a SentencePiece tokenizer.model alone (older Llama/Mistral-style checkpoints
// without tokenizer.json), through Debian's libsentencepiece.
//
// encode: the text is cut at the control and unknown pieces written in it ("<s>", "</s>",
// "<unk>"), which become their ids, as HF's slow LlamaTokenizer (legacy) does; each stretch in
// between is encoded by SentencePiece. AddSpecialTokens::yes adds bos (eos) when
// tokenizer_config.json's add_bos_token (add_eos_token) says so, default true (false).
// decode: SentencePiece's own surfaces (its "▁" -> space, the leading space dropped, " ⁇ " for
// unk), except that byte pieces ("<0xE6>") give their raw byte rather than U+FFFD for a partial
// character; control pieces are skipped, or with skip_special=false show as their text.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace strata {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // tokenizer_config: may be empty or not exist (then the defaults above).
  SentencePieceTokenizer(const std::filesystem::path& model_file,
                         const std::filesystem::path& tokenizer_config);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> encode(std::string_view text, AddSpecialTokens add) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special = true) const override;
  size_t vocab_size() const override;
  std::optional<int32_t> token_id(std::string_view token) const override;
  bool adds_special_tokens() const override { return !before_.empty() || !after_.empty(); }

 private:
  std::string file_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::vector<SpecialToken> specials_;  // control and unk pieces, matched in text, longest first
  std::vector<int32_t> before_;         // bos when added
  std::vector<int32_t> after_;          // eos when added
};

}  // namespace strata
