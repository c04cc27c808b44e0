// YamlReader: reads one YAML mapping field by field so that every error names the file, the line
// and the field ("profile.yaml:4: field disk_read_bytes_per_s: expected a number, got 'fast'"),
// and keys nobody asked for are rejected by name. Shared by the policy and profile readers.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

namespace strata {

class YamlReader {
 public:
  // `source` names the input in messages (a path, or "<string>"); `prefix` the enclosing field.
  YamlReader(const YAML::Node& node, std::string source, std::string prefix = "");

  bool has(const std::string& key) const;
  double number(const std::string& key);
  int64_t integer(const std::string& key);
  bool boolean(const std::string& key);
  std::string text(const std::string& key);
  double bytes(const std::string& key);  // a number of bytes or "15 GiB", "1.5 TB", ...
  YamlReader map(const std::string& key);
  YAML::Node sequence(const std::string& key);

  // Throws InputError listing every key that no accessor read, with the known keys.
  void reject_unknown(const std::string& known) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  YAML::Node get(const std::string& key) const;
  YAML::Node scalar(const std::string& key);
  std::string where(const YAML::Node& node) const;

  YAML::Node node_;
  std::string source_;
  std::string prefix_;
  std::set<std::string> used_;
};

// Parses YAML from a file or a string; syntax errors become InputError with file:line:column.
// The root must be a mapping.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_text(const std::string& text, const std::string& source);

// Writes `text` to `path` through a temporary file and a rename; InputError on failure.
void write_text_file(const std::string& path, const std::string& text);

// Shortest text that reads back as exactly `value` ("0.2", not "0.20000000000000001").
std::string shortest_double(double value);

}  // namespace strata
