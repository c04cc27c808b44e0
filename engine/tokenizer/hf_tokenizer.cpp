#include "engine/tokenizer/hf_tokenizer.h"

#include "engine/tokenizer/tokenizer_files.h"
#include "engine/tokenizer/utf8.h"

namespace strata {

HfTokenizer::HfTokenizer(const std::filesystem::path& tokenizer_json) {
  const nlohmann::json json = read_json_file(tokenizer_json);
  const JsonField root(json, tokenizer_json.string(), "");
  if (!json.is_object()) root.fail("expected a JSON object");

  const JsonField model = root["model"];
  if (model.is_null()) model.fail("missing; expected a BPE model");
  // Files from before the "type" tag name no type; HF then tries each model in turn.
  if (!model["type"].is_null() && model.type() != "BPE") model.unsupported_type("BPE");
  model_ = std::make_unique<HfBpeModel>(model);
  // The normalizer first: normalized added tokens are matched in their normalized spelling.
  normalizer_ = parse_normalizer(root["normalizer"]);
  added_ = HfAddedTokens(root["added_tokens"], model_->vocab(), normalizer_.get());
  pre_tokenizer_ = parse_pre_tokenizer(root["pre_tokenizer"]);
  post_processor_ = HfPostProcessor(root["post_processor"]);
  decoder_ = parse_decoder(root["decoder"]);

  // What each id decodes from: the model's token, or an added token's (normalized) spelling.
  size_ = model_->vocab().size();
  int32_t max_id = -1;
  for (const auto& [token, id] : model_->vocab()) max_id = std::max(max_id, id);
  for (const HfAddedToken& token : added_.tokens()) {
    max_id = std::max(max_id, token.id);
    if (model_->vocab().find(token.content) == model_->vocab().end()) ++size_;
  }
  id_texts_.resize(size_t(max_id + 1));
  for (const auto& [token, id] : model_->vocab()) id_texts_[id] = {token, true, false};
  for (const HfAddedToken& token : added_.tokens()) id_texts_[token.id] = {token.form, true, false};
  for (IdText& entry : id_texts_) entry.special = entry.present && added_.is_special(entry.text);
}

void HfTokenizer::encode_normalized(std::string_view text, bool at_text_start,
                                    std::vector<int32_t>& ids) const {
  std::vector<PreToken> pieces{{std::string(text), at_text_start}};
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
  for (const PreToken& piece : pieces) {
    if (!piece.text.empty()) model_->encode_word(piece.text, ids);
  }
}

std::vector<int32_t> HfTokenizer::encode(std::string_view raw_text, AddSpecialTokens add) const {
  std::string storage;
  const std::string_view text = valid_utf8(raw_text, storage);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3);
  for (const AddedTokenSplit& outer : added_.split(text, /*normalized_pass=*/false)) {
    if (outer.id) {
      ids.push_back(*outer.id);
      continue;
    }
    std::string normalized(text.substr(outer.begin, outer.end - outer.begin));
    if (normalizer_) normalizer_->normalize(normalized);
    for (const AddedTokenSplit& inner : added_.split(normalized, /*normalized_pass=*/true)) {
      if (inner.id) {
        ids.push_back(*inner.id);
        continue;
      }
      encode_normalized(std::string_view(normalized).substr(inner.begin, inner.end - inner.begin),
                        outer.begin == 0 && inner.begin == 0, ids);
    }
  }
  if (add == AddSpecialTokens::yes) post_processor_.apply(ids);
  return ids;
}

std::string HfTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id < 0 || size_t(id) >= id_texts_.size()) continue;
    const IdText& entry = id_texts_[size_t(id)];
    if (!entry.present || (skip_special && entry.special)) continue;
    tokens.push_back(entry.text);
  }
  std::string text;
  if (!decoder_) {  // tokenizer/mod.rs: no decoder joins the tokens with spaces
    for (size_t i = 0; i < tokens.size(); ++i) text.append(i ? " " : "").append(tokens[i]);
    return text;
  }
  decoder_->decode_chain(tokens);
  for (const std::string& token : tokens) text += token;
  return text;
}

std::optional<int32_t> HfTokenizer::token_id(std::string_view token) const {
  for (const HfAddedToken& added : added_.tokens()) {
    if (added.content == token) return added.id;
  }
  const auto it = model_->vocab().find(token);
  if (it == model_->vocab().end()) return std::nullopt;
  return it->second;
}

}  // namespace strata
