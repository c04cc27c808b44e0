// Readers for the files of an HF GPT-2-style tokenizer (GPT-2, OPT, RoBERTa): vocab.json maps each
// token (spelled in byte symbols, see byte_unicode.h) to its id, merges.txt lists the BPE rules in
// rank order. Every problem is a strata::InputError whose message starts "<file>:<line>:" (or
// "<file>:" when no single line is at fault), since the user has to fix the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/tokenizer/bpe_merges.h"

namespace strata {

// Hash that lets an unordered_map<std::string, ...> be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// The whole file as bytes; InputError if it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Parses a JSON file; a syntax error names the file and the line of the error.
nlohmann::json read_json_file(const std::filesystem::path& path);

// vocab.json: one object of token -> id, ids in [0, 2^31) and distinct.
Vocab read_vocab_json(const std::filesystem::path& path);

// merges.txt: an optional "#version" first line, then one "left right" rule per line, trailing
// blank lines allowed. Both symbols and their concatenation must be tokens of `vocab`.
std::vector<BpeMerges::Rule> read_merges_txt(const std::filesystem::path& path, const Vocab& vocab);

}  // namespace strata
