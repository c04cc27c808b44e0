#include "engine/models/config_reader.h"

#include <climits>

#include "common/error.h"

namespace strata {

int64_t ConfigReader::positive(const char* field) const {
  STRATA_CHECK_INPUT(j_.contains(field), file_, ": field '", field, "' is missing");
  const auto& v = j_[field];
  STRATA_CHECK_INPUT(v.is_number_integer() && v.get<int64_t>() > 0, file_, ": field '", field,
                     "': expected a positive integer, got ", v.dump());
  return v.get<int64_t>();
}

int64_t ConfigReader::positive_or(const char* field, int64_t fallback) const {
  return has(field) ? positive(field) : fallback;
}

double ConfigReader::number_or(const char* field, double fallback) const {
  if (!has(field)) return fallback;
  STRATA_CHECK_INPUT(j_[field].is_number(), file_, ": field '", field,
                     "': expected a number, got ", j_[field].dump());
  return j_[field].get<double>();
}

bool ConfigReader::flag_or(const char* field, bool fallback) const {
  if (!has(field)) return fallback;
  STRATA_CHECK_INPUT(j_[field].is_boolean(), file_, ": field '", field,
                     "': expected true or false, got ", j_[field].dump());
  return j_[field].get<bool>();
}

int32_t ConfigReader::token(const char* field, const nlohmann::json& v) const {
  STRATA_CHECK_INPUT(v.is_number_integer() && v.get<int64_t>() >= 0 &&
                         v.get<int64_t>() <= INT32_MAX,
                     file_, ": field '", field, "': expected a token id, got ", v.dump());
  return v.get<int32_t>();
}

int32_t ConfigReader::token_or(const char* field, int32_t fallback) const {
  return has(field) ? token(field, j_[field]) : fallback;
}

std::vector<int32_t> ConfigReader::tokens_or(const char* field,
                                             std::vector<int32_t> fallback) const {
  if (!has(field)) return fallback;
  const auto& v = j_[field];
  if (!v.is_array()) return {token(field, v)};
  STRATA_CHECK_INPUT(!v.empty(), file_, ": field '", field, "': an empty list");
  std::vector<int32_t> ids;
  for (const auto& e : v) ids.push_back(token(field, e));
  return ids;
}

std::string ConfigReader::string_or(const char* field, const std::string& fallback) const {
  if (!has(field)) return fallback;
  STRATA_CHECK_INPUT(j_[field].is_string(), file_, ": field '", field,
                     "': expected a string, got ", j_[field].dump());
  return j_[field].get<std::string>();
}

}  // namespace strata
