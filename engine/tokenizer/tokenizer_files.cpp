#include "engine/tokenizer/tokenizer_files.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_guard.h"

namespace strata {
namespace {

// nlohmann's messages read "[json.exception.parse_error.101] parse error at line 3, column 5:
// syntax error ..."; the file:line prefix we add already says where, so keep only the "what".
std::string json_error_reason(const std::string& what) {
  std::string reason = what.substr(std::min(what.size(), what.find("] ") + 2));
  if (reason.rfind("parse error at line", 0) == 0) {
    const size_t colon = reason.find(": ");
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
  }
  return reason;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::error_code status_error;
  if (!std::filesystem::is_regular_file(path, status_error)) {
    fail_input(path.string(), ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path.string(), ": cannot open the file");
  std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail_input(path.string(), ": cannot read the file");
  return content;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  check_json_depth(text, path.string());
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset of the last character read, i.e. the offending one.
    const size_t end = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + ptrdiff_t(end), '\n');
    fail_input(path.string(), ":", line, ": malformed JSON: ", json_error_reason(e.what()));
  }
}

Vocab read_vocab_json(const std::filesystem::path& path) {
  const nlohmann::json json = read_json_file(path);
  if (!json.is_object()) fail_input(path.string(), ": expected one JSON object of token -> id");
  Vocab vocab;
  vocab.reserve(json.size());
  std::unordered_map<int32_t, std::string_view> token_of_id;
  for (const auto& [token, value] : json.items()) {
    constexpr auto kMaxId = std::numeric_limits<int32_t>::max();
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > kMaxId) {
      fail_input(path.string(), ": token \"", token, "\" has id ", json_excerpt(value),
                 "; expected an integer in [0, ", kMaxId, "]");
    }
    const auto id = int32_t(value.get<int64_t>());
    const auto [it, inserted] = vocab.emplace(token, id);
    const auto [other, fresh] = token_of_id.emplace(id, it->first);
    if (!fresh) {
      fail_input(path.string(), ": id ", id, " is given to both \"", other->second, "\" and \"",
                 token, "\"");
    }
  }
  return vocab;
}

std::vector<BpeMerges::Rule> read_merges_txt(const std::filesystem::path& path, const Vocab& vocab) {
  const std::string text = read_text_file(path);
  // Not even the "#version" header: a truncated or blanked file, which would silently tokenize
  // every word into single bytes. (A header and no rule is a byte-level vocabulary: accepted.)
  STRATA_CHECK_INPUT(text.find_first_not_of(" \t\r\n") != std::string::npos, path.string(),
                     ": empty (a GPT-2 BPE tokenizer needs its merges; is the file truncated?)");
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a file saved on Windows
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();

  auto id_of = [&](std::string_view symbol, size_t line_no, std::string_view what) {
    const auto it = vocab.find(symbol);
    if (it == vocab.end()) {
      fail_input(path.string(), ":", line_no, ": ", what, " \"", symbol, "\" is not in vocab.json");
    }
    return it->second;
  };

  std::vector<BpeMerges::Rule> rules;
  rules.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t line_no = i + 1;
    if (i == 0 && line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ');
    // Byte symbols never contain a space (a space byte is spelled "Ġ"), so exactly one space.
    if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      fail_input(path.string(), ":", line_no, ": expected two symbols separated by one space");
    }
    const std::string_view left = line.substr(0, space);
    const std::string_view right = line.substr(space + 1);
    const std::string merged = std::string(left).append(right);
    rules.push_back({id_of(left, line_no, "symbol"), id_of(right, line_no, "symbol"),
                     id_of(merged, line_no, "merged symbol")});
  }
  return rules;
}

}  // namespace strata
