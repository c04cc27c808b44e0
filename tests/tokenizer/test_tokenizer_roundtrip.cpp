// encode -> decode is the identity on any bytes; decode concatenates raw bytes; special tokens.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_unicode.h"
#include "tests/tokenizer/test_tokenizer_fixture.h"

using strata::BpeTokenizer;
using strata::test::byte_id;
using strata::test::TempDir;
using Ids = std::vector<int32_t>;

using namespace std::string_literals;

namespace {

// A tokenizer whose merges join the first two bytes of each of `pairs` (so multi-byte characters
// such as "é" become one token) plus a few English ones.
BpeTokenizer merging_tokenizer(const TempDir& dir, const std::vector<std::string>& pairs) {
  std::vector<std::string> extra, merges;
  for (const std::string& pair : pairs) {
    const std::string left = strata::byte_symbol(uint8_t(pair[0]));
    const std::string right = strata::byte_symbol(uint8_t(pair[1]));
    extra.push_back(left + right);
    merges.push_back(left + " " + right);
  }
  strata::test::write_tiny_model(dir.path(), extra, merges);
  return BpeTokenizer::load(dir.path());
}

const std::vector<std::string> kTexts = {
    "Hello, world! It's 2024.",
    "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xC3\x85ngstr\xC3\xB6m",
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE6\x96\x87\xE7\xAB\xA0\xE3\x80\x82 \xE4\xB8\xAD\xE6\x96\x87",
    "\xF0\x9F\x98\x80 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                      // emoji, skin tone
    "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",  // ZWJ family
    "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5 flag",                                  // regional indicators
    "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",  // Arabic, Hebrew
    "\xE2\x80\x8F" "RTL mark, \xE2\x80\xAE" "override",                          // bidi controls
    "Z\xCD\x91\xCD\x8A\xCC\x80" "a\xCC\x8A" "e\xCC\x81",                        // combining marks
    "ctrl \x01\x02\x1B[0m\x7F\t\r\n\x00 nul"s,
    "bad \xFF\xFE utf8 \xC3 \x80 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80",      // invalid UTF-8
    "   leading and trailing   ",
    "\n\n\nnewlines\n\n",
    "",
};

}  // namespace

TEST_CASE("encode then decode gives back the text", "[tokenizer]") {
  TempDir dir;
  // Merges over the first bytes of "é", "日", "😀" and " t", so characters also form tokens.
  const auto tok = merging_tokenizer(dir, {"\xC3\xA9", "\xE6\x97", "\xF0\x9F", " t"});
  for (const std::string& text : kTexts) {
    INFO("text: " << text);
    const Ids ids = tok.encode(text);
    CHECK(tok.decode(ids) == text);
    CHECK(tok.decode(ids, /*skip_special=*/false) == text);
  }
  CHECK(tok.encode("\xC3\xA9") == Ids{260});  // "é" is one token
}

TEST_CASE("encode then decode gives back random bytes", "[tokenizer]") {
  TempDir dir;
  const auto tok = merging_tokenizer(dir, {"\xC3\xA9", "ab", " a", "\xFF\xFF"});
  std::mt19937 rng(1234);
  for (int i = 0; i < 500; ++i) {
    std::string text(rng() % 64, '\0');
    // Half the strings draw from a small alphabet so that merges and specials do fire.
    for (char& c : text) c = i % 2 ? char(rng()) : "ab \xC3\xA9\xFF<s/>"[rng() % 10];
    INFO("case " << i);
    CHECK(tok.decode(tok.encode(text), /*skip_special=*/false) == text);
  }
}

TEST_CASE("decode joins bytes before they form characters", "[tokenizer]") {
  TempDir dir;
  const auto tok = merging_tokenizer(dir, {"\xF0\x9F"});
  // "😀" is F0 9F 98 80: tokens "F0 9F", "98", "80". Each alone is not valid UTF-8.
  const Ids ids = tok.encode("\xF0\x9F\x98\x80");
  REQUIRE(ids == Ids{260, byte_id(0x98), byte_id(0x80)});
  CHECK(tok.decode(Ids{ids[0]}) == "\xF0\x9F");
  CHECK(tok.decode(Ids{ids[1]}) == "\x98");
  CHECK(tok.decode(ids) == "\xF0\x9F\x98\x80");
  // An unmerged two-byte character splits into byte tokens and still comes back whole.
  const Ids e_acute = tok.encode("\xC3\xA9");
  CHECK(e_acute == Ids{byte_id(0xC3), byte_id(0xA9)});
  CHECK(tok.decode(e_acute) == "\xC3\xA9");
}

TEST_CASE("special tokens in the text map to their ids", "[tokenizer]") {
  TempDir dir;
  const auto tok = merging_tokenizer(dir, {"lo"});
  const Ids hello = tok.encode("Hello");
  const Ids world = tok.encode("world");
  Ids expected = hello;
  expected.push_back(2);
  expected.insert(expected.end(), world.begin(), world.end());
  CHECK(tok.encode("Hello</s>world") == expected);
  CHECK(tok.encode("<s>a</s></s>") == Ids{0, byte_id('a'), 2, 2});
  CHECK(tok.encode("<pad><unk>") == Ids{1, 3});
  // Not a special token: an incomplete one, or the pieces split by the pre-tokenizer.
  CHECK(tok.encode("</s") == Ids{byte_id('<'), byte_id('/'), byte_id('s')});
  CHECK(tok.token_id("</s>") == 2);
}

TEST_CASE("decode skips special tokens on request and drops unknown ids", "[tokenizer]") {
  TempDir dir;
  const auto tok = merging_tokenizer(dir, {"hi"});
  const Ids ids = {0, 260, 2, 1};
  CHECK(tok.decode(ids) == "hi");
  CHECK(tok.decode(ids, /*skip_special=*/false) == "<s>hi</s><pad>");
  CHECK(tok.decode(Ids{-5, 261, 100000, byte_id('!')}) == "!");
  CHECK(tok.decode(Ids{}) == "");
  CHECK(tok.vocab_size() == 261);
}
