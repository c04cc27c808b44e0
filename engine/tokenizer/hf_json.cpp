#include "engine/tokenizer/hf_json.h"

#include "engine/tokenizer/utf8.h"
#include "common/json_guard.h"

namespace strata {
namespace {

const nlohmann::json& null_json() {
  static const nlohmann::json kNull;  // a constant, never modified
  return kNull;
}

}  // namespace

void JsonField::fail_kind(std::string_view expected) const {
  if (value_->is_null()) fail("missing; expected ", expected);
  fail("expected ", expected, ", found ", json_excerpt(*value_));
}

JsonField JsonField::operator[](std::string_view key) const {
  const std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (value_->is_null()) return JsonField(null_json(), file_, path);
  if (!value_->is_object()) fail_kind("an object");
  const auto it = value_->find(key);
  return JsonField(it == value_->end() ? null_json() : *it, file_, path);
}

size_t JsonField::array_size() const {
  if (!value_->is_array()) fail_kind("a list");
  return value_->size();
}

JsonField JsonField::operator[](size_t index) const {
  return JsonField((*value_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

std::string JsonField::string() const {
  if (!value_->is_string()) fail_kind("a string");
  return value_->get<std::string>();
}

int64_t JsonField::integer() const {
  if (!value_->is_number_integer()) fail_kind("an integer");
  return value_->get<int64_t>();
}

bool JsonField::boolean() const {
  if (!value_->is_boolean()) fail_kind("true or false");
  return value_->get<bool>();
}

std::string JsonField::string_or(std::string_view key, std::string_view fallback) const {
  const JsonField field = (*this)[key];
  return field.is_null() ? std::string(fallback) : field.string();
}

bool JsonField::boolean_or(std::string_view key, bool fallback) const {
  const JsonField field = (*this)[key];
  return field.is_null() ? fallback : field.boolean();
}

char32_t JsonField::one_char(std::string_view key) const {
  const JsonField field = (*this)[key];
  const std::string text = field.string();
  if (text.empty() || utf8_length_at(text, 0) != text.size()) {
    field.fail("expected exactly one character, found \"", text, "\"");
  }
  return utf8_decode_at(text, 0);
}

void JsonField::unsupported_type(std::string_view supported) const {
  const JsonField field = (*this)["type"];
  field.fail("\"", field.string(), "\" is not supported (supported: ", supported, ")");
}

}  // namespace strata
