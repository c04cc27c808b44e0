#include "engine/tokenizer/hf_post_processor.h"

namespace strata {
namespace {

constexpr std::string_view kSupported =
    "BertProcessing, ByteLevel, RobertaProcessing, Sequence, TemplateProcessing";

// BertProcessing/RobertaProcessing spell a token as ["[CLS]", 101].
int32_t token_pair_id(const JsonField& field) {
  if (field.array_size() != 2 || !field.json()[1].is_number_integer()) {
    field.fail("expected [\"token\", id]");
  }
  const int64_t id = field[1].integer();
  if (id < 0 || id > INT32_MAX) field[1].fail("expected an id in [0, 2^31)");
  return int32_t(id);
}

}  // namespace

HfPostProcessor::HfPostProcessor(const JsonField& field) {
  if (!field.is_null()) read(field);
}

void HfPostProcessor::read(const JsonField& field) {
  const std::string type = field.type();
  if (type == "ByteLevel") return;
  if (type == "TemplateProcessing") return read_template(field);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    // Applied after whatever came before it in a Sequence, as processors/sequence.rs chains them.
    before_.insert(before_.begin(), token_pair_id(field["cls"]));
    after_.push_back(token_pair_id(field["sep"]));
    return;
  }
  if (type == "Sequence") {
    const JsonField list = field["processors"];
    for (size_t i = 0; i < list.array_size(); ++i) read(list[i]);
    return;
  }
  field.unsupported_type(kSupported);
}

void HfPostProcessor::read_template(const JsonField& field) {
  // single: [{"SpecialToken": {"id": "<|begin_of_text|>", ...}}, {"Sequence": {"id": "A", ...}}]
  // special_tokens: {"<|begin_of_text|>": {"ids": [128000], ...}}
  const JsonField single = field["single"];
  const JsonField specials = field["special_tokens"];
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.array_size(); ++i) {
    const JsonField piece = single[i];
    if (!piece["Sequence"].is_null()) {
      if (seen_sequence) piece.fail("a second $A in the single-sequence template");
      seen_sequence = true;
      continue;
    }
    const JsonField special = piece["SpecialToken"];
    if (special.is_null()) piece.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string name = special["id"].string();
    const JsonField entry = specials[name];
    if (entry.is_null()) entry.fail("missing; the template names \"", name, "\"");
    const JsonField ids = entry["ids"];
    for (size_t k = 0; k < ids.array_size(); ++k) {
      const int64_t id = ids[k].integer();
      if (id < 0 || id > INT32_MAX) ids[k].fail("expected an id in [0, 2^31)");
      (seen_sequence ? after : before).push_back(int32_t(id));
    }
  }
  if (!seen_sequence) single.fail("the template has no {\"Sequence\": {\"id\": \"A\"}}");
  before_.insert(before_.begin(), before.begin(), before.end());
  after_.insert(after_.end(), after.begin(), after.end());
}

void HfPostProcessor::apply(std::vector<int32_t>& ids) const {
  ids.insert(ids.begin(), before_.begin(), before_.end());
  ids.insert(ids.end(), after_.begin(), after_.end());
}

}  // namespace strata
