#include "engine/tokenizer/special_tokens.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace strata {
namespace {

constexpr std::string_view kDefaultSpecials[] = {"<s>", "<pad>", "</s>", "<unk>"};
constexpr std::string_view kNamedKeys[] = {"bos_token", "eos_token",  "unk_token", "pad_token",
                                           "sep_token", "cls_token", "mask_token"};

// HF writes a token either as a plain string or as an AddedToken object {"content": ..., ...}.
std::optional<std::string> token_content(const nlohmann::json& value,
                                         const std::filesystem::path& file, std::string_view key) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  fail_input(file.string(), ": \"", key, "\" must be a string or an object with a string \"content\"");
}

struct NamedTokens {
  std::vector<std::string> tokens;
  std::optional<std::string> unk;
};

void read_config(const std::filesystem::path& file, NamedTokens& named) {
  const nlohmann::json json = read_json_file(file);
  if (!json.is_object()) fail_input(file.string(), ": expected a JSON object");
  for (const std::string_view key : kNamedKeys) {
    const auto it = json.find(key);
    if (it == json.end()) continue;
    auto content = token_content(*it, file, key);
    if (!content) continue;
    if (key == "unk_token") named.unk = *content;
    named.tokens.push_back(std::move(*content));
  }
  if (const auto it = json.find("additional_special_tokens"); it != json.end() && !it->is_null()) {
    if (!it->is_array()) fail_input(file.string(), ": \"additional_special_tokens\" must be a list");
    for (const auto& value : *it) {
      if (auto content = token_content(value, file, "additional_special_tokens")) {
        named.tokens.push_back(std::move(*content));
      }
    }
  }
  if (const auto it = json.find("added_tokens_decoder"); it != json.end() && it->is_object()) {
    for (const auto& [id, value] : it->items()) {
      const bool special = value.is_object() && value.contains("special") &&
                           value["special"].is_boolean() && value["special"].get<bool>();
      if (special) {
        if (auto content = token_content(value, file, "added_tokens_decoder")) {
          named.tokens.push_back(std::move(*content));
        }
      }
    }
  }
}

}  // namespace

SpecialTokens find_special_tokens(const Vocab& vocab, const std::filesystem::path& model_dir) {
  NamedTokens named;
  for (const std::string_view token : kDefaultSpecials) named.tokens.emplace_back(token);
  if (!model_dir.empty()) {
    for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
      const std::filesystem::path file = model_dir / name;
      std::error_code ignored;
      if (std::filesystem::exists(file, ignored)) read_config(file, named);
    }
  }

  SpecialTokens specials;
  std::set<std::string_view> seen;
  for (const std::string& token : named.tokens) {
    const auto it = vocab.find(token);
    if (token.empty() || it == vocab.end() || !seen.insert(it->first).second) continue;
    specials.tokens.push_back({token, it->second});
  }
  std::stable_sort(specials.tokens.begin(), specials.tokens.end(),
                   [](const SpecialToken& a, const SpecialToken& b) {
                     return a.content.size() > b.content.size();
                   });
  // "<unk>" first: OPT's config names "</s>" as its unk_token, and an unknown byte should not
  // read as end-of-sequence to the model.
  for (const std::optional<std::string>& unk : {std::optional<std::string>("<unk>"), named.unk}) {
    const auto it = unk ? vocab.find(*unk) : vocab.end();
    if (it != vocab.end()) {
      specials.unk_id = it->second;
      break;
    }
  }
  return specials;
}

std::vector<TextSegment> split_at_special_tokens(std::string_view text,
                                                 const std::vector<SpecialToken>& specials) {
  std::vector<TextSegment> segments;
  // next_at[i]: where specials[i] next occurs at or after `pos`, kept between rounds so that the
  // text is scanned once per special, not once per special per occurrence.
  constexpr size_t kUnknown = std::string_view::npos - 1;
  std::vector<size_t> next_at(specials.size(), kUnknown);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t best_at = std::string_view::npos;
    const SpecialToken* best = nullptr;
    for (size_t i = 0; i < specials.size(); ++i) {
      if (next_at[i] == kUnknown || (next_at[i] != std::string_view::npos && next_at[i] < pos)) {
        next_at[i] = text.find(specials[i].content, pos);
      }
      if (next_at[i] < best_at) {  // strict: on a tie the earlier (longer) special wins
        best_at = next_at[i];
        best = &specials[i];
      }
    }
    if (best == nullptr) break;
    if (best_at > pos) segments.push_back({text.substr(pos, best_at - pos), std::nullopt});
    segments.push_back({text.substr(best_at, best->content.size()), best->id});
    pos = best_at + best->content.size();
  }
  if (pos < text.size()) segments.push_back({text.substr(pos), std::nullopt});
  return segments;
}

}  // namespace strata
