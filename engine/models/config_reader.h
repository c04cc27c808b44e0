// ConfigReader: typed reads of config.json fields with one-line errors naming the file and the
// field, shared by every family's config parser.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strata {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string file) : j_(j), file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  bool has(const char* field) const { return j_.contains(field) && !j_[field].is_null(); }
  int64_t positive(const char* field) const;
  int64_t positive_or(const char* field, int64_t fallback) const;
  double number_or(const char* field, double fallback) const;
  bool flag_or(const char* field, bool fallback) const;
  int32_t token_or(const char* field, int32_t fallback) const;
  // A token id or a list of them (eos_token_id); `fallback` when absent.
  std::vector<int32_t> tokens_or(const char* field, std::vector<int32_t> fallback) const;
  std::string string_or(const char* field, const std::string& fallback) const;

 private:
  int32_t token(const char* field, const nlohmann::json& v) const;

  const nlohmann::json& j_;
  std::string file_;
};

}  // namespace strata
