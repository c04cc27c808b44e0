// One comparison of a Strata tokenizer with Hugging Face's tokenizers on the same tokenizer.json,
// shared by the real-file and hand-made-file tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace strata::test {

// For every text: encode with and without special tokens equals HF's ids; decoding those ids
// (skipping special tokens or not) equals HF's text; decoding any prefix of them gives a prefix
// of the whole (incremental decoding). Also: len(tokenizer), token_to_id of `tokens`, and that
// ids past the vocab, negative ids and special ids decode as HF decodes them.
void check_matches_hf_reference(const Tokenizer& tokenizer,
                                const std::filesystem::path& tokenizer_json,
                                const std::vector<std::string>& texts,
                                const std::vector<std::string>& tokens);

}  // namespace strata::test
