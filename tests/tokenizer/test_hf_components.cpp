// Pieces of the tokenizer.json pipeline that the reference comparisons reach only indirectly:
// UTF-8 repair, the Oniguruma -> PCRE2 rewrite, and concurrent use of one tokenizer.
#include <catch2/catch.hpp>
#include <thread>

#include "engine/tokenizer/pcre2_regex.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "tests/engine/test_support.h"
#include "tests/tokenizer/handmade_tokenizers.h"
#include "tests/tokenizer/tokenizer_texts.h"

using strata::AddSpecialTokens;

namespace {

std::string repaired(std::string_view text) {
  std::string storage;
  return std::string(strata::valid_utf8(text, storage));
}

const std::string kFffd = "\xEF\xBF\xBD";

// White_Space as onig_to_pcre2 spells it.
const std::string kWs =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

}  // namespace

TEST_CASE("invalid UTF-8 is repaired as Python's decode(errors='replace')", "[tokenizer]") {
  // Expected values from CPython 3: bytes.decode("utf-8", "replace").
  CHECK(repaired("\xC3 \x80") == kFffd + " " + kFffd);
  CHECK(repaired("\xED\xA0\x80") == kFffd + kFffd + kFffd);  // a surrogate
  CHECK(repaired("\xF0\x9F\x98") == kFffd);                  // a truncated emoji: one subpart
  CHECK(repaired("\xF4\x90\x80\x80") == kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  CHECK(repaired("\xC0\xAF") == kFffd + kFffd);                          // overlong
  CHECK(repaired("a\xE2\x82") == "a" + kFffd);
  CHECK(repaired("\xE2\x82\xAC\xFF") == "\xE2\x82\xAC" + kFffd);
  const std::string valid = "caf\xC3\xA9 \xF0\x9F\x98\x80";
  std::string storage;
  CHECK(strata::valid_utf8(valid, storage).data() == valid.data());  // no copy when valid
}

TEST_CASE("Oniguruma's \\s, \\S and \\h are rewritten for PCRE2", "[tokenizer]") {
  CHECK(strata::onig_to_pcre2(R"(\s+(?!\S)|\s+)") ==
        "[" + kWs + "]+(?![^" + kWs + "])|[" + kWs + "]+");
  CHECK(strata::onig_to_pcre2(R"( ?[^\s\p{L}\p{N}]+)") == " ?[^" + kWs + R"(\p{L}\p{N}]+)");
  CHECK(strata::onig_to_pcre2(R"([]\s])") == "[]" + kWs + "]");  // a leading ] is a literal
  CHECK(strata::onig_to_pcre2(R"(\\s\h[\h])") == R"(\\s[0-9a-fA-F][0-9a-fA-F])");
  CHECK(strata::onig_to_pcre2(R"([[:alpha:]\s]x)") == "[[:alpha:]" + kWs + "]x");
  // U+180E is no longer white space (Unicode 6.3); PCRE2 10.42's own \s still takes it.
  std::string error;
  const auto regex = strata::Regex::compile(strata::onig_to_pcre2(R"(\s)"), error);
  REQUIRE(regex.has_value());
  CHECK(regex
            ->find_all("a\xE1\xA0\x8E"
                       "b")
            .empty());
  CHECK(regex
            ->find_all("a\xE3\x80\x80"
                       "b")
            .size() == 1);  // U+3000 is
}

TEST_CASE("a tokenizer is safe to use from several threads at once", "[tokenizer]") {
  strata::ut::TempDir dir;
  strata::ut::write_file(dir / "tokenizer.json",
                         strata::test::byte_level_tokenizers().front().json.dump());
  const auto tokenizer = strata::load_tokenizer(dir.path());
  const std::vector<std::string>& texts = strata::test::varied_texts();
  std::vector<std::vector<int32_t>> expected;
  for (const std::string& text : texts) {
    expected.push_back(tokenizer->encode(text, AddSpecialTokens::yes));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const auto ids = tokenizer->encode(texts[i], AddSpecialTokens::yes);
          if (ids != expected[i] || tokenizer->decode(ids) != tokenizer->decode(expected[i])) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
