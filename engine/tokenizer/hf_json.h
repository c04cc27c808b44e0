// A view of one field of tokenizer.json that knows where it is, so that every complaint about the
// file is one InputError line naming the file, the field and what would be accepted:
//   "/m/tokenizer.json: normalizer.normalizers[1].type: "Lowercase" is not supported
//    (supported: NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence)"
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace strata {

class JsonField {
 public:
  // `value` must outlive this view and every view taken from it.
  JsonField(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  // Absent and JSON null are the same to HF: the component is not there.
  bool is_null() const { return value_->is_null(); }

  // A member (null when absent; this must be an object or null).
  JsonField operator[](std::string_view key) const;
  // The elements of a required array.
  size_t array_size() const;
  JsonField operator[](size_t index) const;

  // Required values of the given type.
  std::string string() const;
  int64_t integer() const;
  bool boolean() const;
  // Optional members: the default when absent or null.
  std::string string_or(std::string_view key, std::string_view fallback) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  // A member that must be a string of exactly one character (Metaspace's replacement).
  char32_t one_char(std::string_view key) const;
  // The "type" member: required string.
  std::string type() const { return (*this)["type"].string(); }

  template <typename... Args>
  [[noreturn]] void fail(Args&&... message) const {
    fail_input(file_, ": ", path_.empty() ? std::string("(top level)") : path_, ": ",
               std::forward<Args>(message)...);
  }
  // "<file>: <path>.type: "X" is not supported (supported: <supported>)".
  [[noreturn]] void unsupported_type(std::string_view supported) const;

 private:
  [[noreturn]] void fail_kind(std::string_view expected) const;

  const nlohmann::json* value_;
  std::string file_;
  std::string path_;
};

}  // namespace strata
