#include "planner/yaml_reader.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "planner/byte_size.h"

namespace strata {

YamlReader::YamlReader(const YAML::Node& node, std::string source, std::string prefix)
    : node_(node), source_(std::move(source)), prefix_(std::move(prefix)) {
  if (!node_.IsMap()) {
    fail_input(where(node_), (prefix_.empty() ? "" : " field " + prefix_ + ":"),
               " expected a mapping of key: value");
  }
}

std::string YamlReader::where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? str_cat(source_, ":", mark.line + 1, ":") : source_ + ":";
}

void YamlReader::fail(const std::string& key, const std::string& message) const {
  const YAML::Node n = get(key);
  fail_input(where(n ? n : node_), " field ", prefix_, key, ": ", message);
}

// Looks up through a const Node: yaml-cpp's non-const operator[] adds a pending key.
YAML::Node YamlReader::get(const std::string& key) const {
  const YAML::Node& n = node_;
  return n[key];
}

bool YamlReader::has(const std::string& key) const { return static_cast<bool>(get(key)); }

YAML::Node YamlReader::scalar(const std::string& key) {
  const YAML::Node n = get(key);
  if (!n) fail_input(where(node_), " missing field ", prefix_, key);
  used_.insert(key);
  if (!n.IsScalar()) fail(key, "expected a single value");
  return n;
}

double YamlReader::number(const std::string& key) {
  const std::string s = scalar(key).Scalar();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') fail(key, "expected a number, got '" + s + "'");
  return v;
}

int64_t YamlReader::integer(const std::string& key) {
  const std::string s = scalar(key).Scalar();
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    fail(key, "expected an integer, got '" + s + "'");
  }
  return v;
}

bool YamlReader::boolean(const std::string& key) {
  const YAML::Node n = scalar(key);
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    fail(key, "expected true or false, got '" + n.Scalar() + "'");
  }
}

std::string YamlReader::text(const std::string& key) { return scalar(key).Scalar(); }

double YamlReader::bytes(const std::string& key) {
  const std::string s = scalar(key).Scalar();
  const std::optional<double> v = parse_byte_size(s);
  if (!v) fail(key, "expected a byte count such as 16000000000 or \"15 GiB\", got '" + s + "'");
  return *v;
}

YamlReader YamlReader::map(const std::string& key) {
  const YAML::Node n = get(key);
  if (!n) fail_input(where(node_), " missing field ", prefix_, key);
  used_.insert(key);
  if (!n.IsMap()) fail(key, "expected a mapping such as {device: 1, host: 0, disk: 0}");
  return YamlReader(n, source_, prefix_ + key + ".");
}

YAML::Node YamlReader::sequence(const std::string& key) {
  const YAML::Node n = get(key);
  if (!n) fail_input(where(node_), " missing field ", prefix_, key);
  used_.insert(key);
  if (!n.IsSequence()) fail(key, "expected a list");
  return n;
}

void YamlReader::reject_unknown(const std::string& known) const {
  std::string unknown;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (!used_.count(key)) unknown += (unknown.empty() ? "'" : ", '") + prefix_ + key + "'";
  }
  if (!unknown.empty()) {
    fail_input(where(node_), " unknown field ", unknown, " (known: ", known, ")");
  }
}

YAML::Node load_yaml_text(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ",
               e.msg);
  }
  if (!root.IsMap()) fail_input(source, ": expected a YAML mapping of key: value at the top");
  return root;
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail_input(path, ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  return load_yaml_text(text.str(), path);
}

void write_text_file(const std::string& path, const std::string& text) {
  AtomicFile out(path);  // follows a symlink, writes a device in place, never half a file
  out.stream() << text;
  if (!text.empty() && text.back() != '\n') out.stream() << '\n';  // text files end with one
  out.commit();
}

std::string shortest_double(double value) {
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, ec == std::errc() ? ptr : buf);
}

}  // namespace strata
