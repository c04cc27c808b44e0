#include "engine/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_guard.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer_files.h"
#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

// tokenizer_config.json's boolean `key`, or `fallback` when the file or the key is absent.
bool config_flag(const std::filesystem::path& config, const nlohmann::json& json,
                 std::string_view key, bool fallback) {
  const auto it = json.is_object() ? json.find(key) : json.end();
  if (!json.is_object() || it == json.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    fail_input(config.string(), ": ", key, ": expected true or false, found ", json_excerpt(*it));
  }
  return it->get<bool>();
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file,
                                               const std::filesystem::path& tokenizer_config)
    : file_(model_file.string()),
      processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  read_text_file(model_file);  // the same "no such file" message as every other tokenizer file
  const auto status = processor_->Load(file_);
  if (!status.ok()) fail_input(file_, ": not a SentencePiece model: ", status.ToString());

  nlohmann::json config;
  std::error_code ignored;
  if (!tokenizer_config.empty() && std::filesystem::exists(tokenizer_config, ignored)) {
    config = read_json_file(tokenizer_config);
  }
  const int bos = processor_->bos_id(), eos = processor_->eos_id();
  if (bos >= 0 && config_flag(tokenizer_config, config, "add_bos_token", true)) before_ = {bos};
  if (eos >= 0 && config_flag(tokenizer_config, config, "add_eos_token", false)) after_ = {eos};

  for (int id = 0; id < processor_->GetPieceSize(); ++id) {
    if (processor_->IsControl(id) || processor_->IsUnknown(id)) {
      const std::string& piece = processor_->IdToPiece(id);
      if (!piece.empty()) specials_.push_back({piece, id});
    }
  }
  std::stable_sort(specials_.begin(), specials_.end(), [](const auto& a, const auto& b) {
    return a.content.size() > b.content.size();
  });
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view raw_text,
                                                    AddSpecialTokens add) const {
  std::string storage;
  const std::string_view text = valid_utf8(raw_text, storage);
  std::vector<int32_t> ids;
  if (add == AddSpecialTokens::yes) ids = before_;
  std::vector<int> piece_ids;
  for (const TextSegment& segment : split_at_special_tokens(text, specials_)) {
    if (segment.special_id) {
      ids.push_back(*segment.special_id);
      continue;
    }
    const auto status = processor_->Encode(segment.text, &piece_ids);
    STRATA_CHECK(status.ok(), "SentencePiece encode failed: ", status.ToString());
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  if (add == AddSpecialTokens::yes) ids.insert(ids.end(), after_.begin(), after_.end());
  return ids;
}

std::string SentencePieceTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  // SentencePiece decodes the ids that are neither out of range nor control pieces; control
  // pieces decode to nothing there anyway, so leaving them out changes no surface.
  const int size = processor_->GetPieceSize();
  std::vector<int> decoded;
  std::vector<std::pair<size_t, int>> controls;  // (position in `decoded`, id) to show as text
  for (const int32_t id : ids) {
    if (id < 0 || id >= size) continue;
    if (processor_->IsControl(id)) {
      if (!skip_special) controls.emplace_back(decoded.size(), id);
      continue;
    }
    decoded.push_back(id);
  }
  sentencepiece::ImmutableSentencePieceText pieces;
  if (!decoded.empty()) {
    const auto status = processor_->Decode(decoded, pieces.mutable_proto());
    STRATA_CHECK(status.ok(), "SentencePiece decode failed: ", status.ToString());
    STRATA_CHECK(pieces.pieces_size() == decoded.size(), "SentencePiece decoded ",
                 pieces.pieces_size(), " pieces from ", decoded.size(), " ids");
  }
  std::string text;
  size_t next_control = 0;
  for (size_t i = 0; i <= decoded.size(); ++i) {
    for (; next_control < controls.size() && controls[next_control].first == i; ++next_control) {
      text += processor_->IdToPiece(controls[next_control].second);
    }
    if (i == decoded.size()) break;
    const std::string& piece = processor_->IdToPiece(decoded[i]);
    if (processor_->IsByte(decoded[i]) && piece.size() == 6) {
      text += char(std::stoi(piece.substr(3, 2), nullptr, 16));  // "<0xE6>": the raw byte
    } else {
      text += pieces.pieces(int(i)).surface();
    }
  }
  return text;
}

size_t SentencePieceTokenizer::vocab_size() const { return size_t(processor_->GetPieceSize()); }

std::optional<int32_t> SentencePieceTokenizer::token_id(std::string_view token) const {
  const int id = processor_->PieceToId(token);  // the unk id for an unknown piece
  if (id < 0 || processor_->IdToPiece(id) != token) return std::nullopt;
  return id;
}

}  // namespace strata
