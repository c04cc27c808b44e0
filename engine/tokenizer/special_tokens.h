// Special tokens of a BPE vocab ("<s>", "</s>", "<pad>", "<unk>", ...): strings that are matched
// in the text before pre-tokenization and become their own id, as HF does for added tokens, and
// that decode() can skip.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer_files.h"

namespace strata {

struct SpecialToken {
  std::string content;  // as written in the text and in vocab.json
  int32_t id;
};

struct SpecialTokens {
  std::vector<SpecialToken> tokens;  // longest content first, so "</s>x" beats "</s>" on a tie
  std::optional<int32_t> unk_id;     // stands for a byte whose symbol is not in the vocab
};

// The special tokens of a vocab: "<s>", "<pad>", "</s>", "<unk>" where vocab.json has them, plus
// any that <model_dir>/special_tokens_map.json or tokenizer_config.json name (bos_token,
// eos_token, unk_token, pad_token, sep_token, cls_token, mask_token, additional_special_tokens,
// and tokenizer_config's added_tokens_decoder entries marked special). A named token absent from
// vocab.json is ignored: it would need an id that the model's embedding may not have.
// The unk token is "<unk>" when the vocab has it, else the configured unk_token if in the vocab.
// model_dir empty: only the defaults.
SpecialTokens find_special_tokens(const Vocab& vocab, const std::filesystem::path& model_dir);

// A stretch of text: either ordinary text or exactly one special token.
struct TextSegment {
  std::string_view text;
  std::optional<int32_t> special_id;
};

// Splits text at every occurrence of a special token, leftmost first (longest on a tie).
// Segments are in order and concatenate back to `text`; ordinary segments are never empty.
std::vector<TextSegment> split_at_special_tokens(std::string_view text,
                                                 const std::vector<SpecialToken>& specials);

}  // namespace strata
