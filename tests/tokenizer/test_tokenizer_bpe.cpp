// BPE merging: GPT-2's byte alphabet, merge-rank order (encoder.py semantics), unknown bytes,
// the word cache under threads.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_unicode.h"
#include "tests/tokenizer/test_tokenizer_fixture.h"

using strata::BpeTokenizer;
using strata::test::byte_id;
using strata::test::TempDir;
using Ids = std::vector<int32_t>;

namespace {

// The first extra token gets this id (4 specials + 256 bytes).
constexpr int32_t kFirstExtraId = 260;

BpeTokenizer tiny_tokenizer(const TempDir& dir, const std::vector<std::string>& extra,
                            const std::vector<std::string>& merges) {
  strata::test::write_tiny_model(dir.path(), extra, merges);
  return BpeTokenizer::load(dir.path());
}

}  // namespace

TEST_CASE("byte symbols follow GPT-2's bytes_to_unicode", "[tokenizer]") {
  CHECK(strata::byte_symbol('A') == "A");
  CHECK(strata::byte_symbol('!') == "!");
  CHECK(strata::byte_symbol(' ') == "\xC4\xA0");    // U+0120 "Ġ"
  CHECK(strata::byte_symbol('\n') == "\xC4\x8A");   // U+010A "Ċ"
  CHECK(strata::byte_symbol(0x00) == "\xC4\x80");   // U+0100, the first remapped byte
  CHECK(strata::byte_symbol(0x7F) == "\xC4\xA1");   // U+0121: 33 remapped bytes come before it
  CHECK(strata::byte_symbol(0xA0) == "\xC5\x82");   // U+0142
  CHECK(strata::byte_symbol(0xAD) == "\xC5\x83");   // U+0143, the last remapped byte
  CHECK(strata::byte_symbol(0xA9) == "\xC2\xA9");   // "©" stands for itself
  CHECK(strata::byte_symbol(0xFF) == "\xC3\xBF");   // "ÿ"
  std::string all_bytes;
  std::string all_symbols;
  for (int b = 0; b < 256; ++b) {
    all_bytes += char(b);
    all_symbols += strata::byte_symbol(uint8_t(b));
  }
  CHECK(strata::symbols_to_bytes(all_symbols) == all_bytes);
  CHECK(strata::symbols_to_bytes("<s>") == "<s>");
}

TEST_CASE("BPE applies merges by rank, not left to right", "[tokenizer]") {
  TempDir dir;
  SECTION("rank 0 merges the right pair first") {
    // "b c" outranks "a b": greedy left-to-right would give "ab" + "c".
    const auto tok = tiny_tokenizer(dir, {"bc", "ab"}, {"b c", "a b"});
    CHECK(tok.encode("abc") == Ids{byte_id('a'), kFirstExtraId});
    CHECK(tok.encode("ab") == Ids{kFirstExtraId + 1});
  }
  SECTION("swapping the two lines swaps the result") {
    const auto tok = tiny_tokenizer(dir, {"bc", "ab"}, {"a b", "b c"});
    CHECK(tok.encode("abc") == Ids{kFirstExtraId + 1, byte_id('c')});
  }
}

TEST_CASE("BPE merges every occurrence of the best pair before newer pairs", "[tokenizer]") {
  // encoder.py takes the lowest-ranked pair present and merges all of its occurrences left to
  // right before it looks again, even though "aa a" has the lower rank. A merge-one-at-a-time
  // heap (HF tokenizers) would give "aaa" + "aa" for "aaaaa".
  TempDir dir;
  const int32_t aa = kFirstExtraId, aaa = kFirstExtraId + 1;
  const auto tok = tiny_tokenizer(dir, {"aa", "aaa"}, {"aa a", "a a"});
  CHECK(tok.encode("aa") == Ids{aa});
  CHECK(tok.encode("aaa") == Ids{aaa});             // a a a -> aa a -> aaa
  CHECK(tok.encode("aaaa") == Ids{aa, aa});         // a a a a -> aa aa, and no "aa aa" rule
  CHECK(tok.encode("aaaaa") == Ids{aa, aaa});       // -> aa aa a -> aa aaa
  CHECK(tok.encode("aaaaaa") == Ids{aa, aa, aa});
}

TEST_CASE("BPE builds words through several merge levels within pre-tokens", "[tokenizer]") {
  TempDir dir;
  const std::string G = strata::byte_symbol(' ');  // "Ġ"
  // Extra ids: Ġt=260, he=261, Ġthe=262, aĠ=263.
  const auto tok = tiny_tokenizer(dir, {G + "t", "he", G + "the", "a" + G},
                                  {G + " t", "h e", G + "t he", "a " + G});
  CHECK(tok.encode(" the") == Ids{262});
  CHECK(tok.encode("the the") == Ids{byte_id('t'), 261, 262});
  // "a Ġ" never applies: the pre-tokenizer puts the space with the next word.
  CHECK(tok.encode("a b") == Ids{byte_id('a'), byte_id(' '), byte_id('b')});
  CHECK(tok.encode("") == Ids{});
  CHECK(tok.token_id(G + "the") == 262);
  CHECK(tok.token_id("the") == std::nullopt);
  CHECK(tok.vocab_size() == 264);
}

TEST_CASE("a byte missing from the vocab becomes <unk>, or an error without one", "[tokenizer]") {
  TempDir dir;
  std::vector<std::string> tokens = strata::test::tiny_tokens({"ab"});
  tokens.erase(tokens.begin() + byte_id('z'));  // ids are positions, so later bytes shift down
  strata::test::write_file(dir.path() / "vocab.json", strata::test::vocab_json_text(tokens));
  strata::test::write_file(dir.path() / "merges.txt", strata::test::merges_txt_text({"a b"}));
  const auto tok = BpeTokenizer::load(dir.path());
  const int32_t unk = 3;
  CHECK(tok.encode("zab z") == Ids{unk, 259, byte_id(' '), unk});

  tokens.erase(tokens.begin(), tokens.begin() + 4);  // no specials at all
  strata::test::write_file(dir.path() / "vocab.json", strata::test::vocab_json_text(tokens));
  const auto no_unk = BpeTokenizer::load(dir.path());
  CHECK(no_unk.encode("ab") == Ids{255});
  try {
    no_unk.encode("abz");
    FAIL("expected an InputError");
  } catch (const strata::InputError& e) {
    CHECK(std::string(e.what()) == (dir.path() / "vocab.json").string() +
                                       ": has no symbol \"z\" for byte 122 of the text, and no "
                                       "<unk> token to stand for it");
  }
}

TEST_CASE("encode gives the same ids from many threads and on repeat", "[tokenizer]") {
  TempDir dir;
  const std::string G = strata::byte_symbol(' ');
  const auto tok = tiny_tokenizer(dir, {G + "t", "he", G + "the"}, {G + " t", "h e", G + "t he"});
  std::string text;
  for (int i = 0; i < 200; ++i) text += " the word" + std::to_string(i % 17) + " the\n";
  const Ids expected = tok.encode(text);
  REQUIRE(expected.size() > 1000);
  CHECK(tok.decode(expected) == text);
  std::vector<Ids> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) results[t] = tok.encode(text);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Ids& ids : results) CHECK(ids == expected);
}

TEST_CASE("a long word without spaces encodes quickly and exactly", "[tokenizer]") {
  TempDir dir;
  const auto tok = tiny_tokenizer(dir, {"ab", "abab"}, {"a b", "ab ab"});
  std::string word;
  for (int i = 0; i < 100000; ++i) word += "ab";
  const Ids ids = tok.encode(word);
  REQUIRE(ids.size() == 50000);
  CHECK(ids.front() == kFirstExtraId + 1);
  CHECK(ids.back() == kFirstExtraId + 1);
  CHECK(tok.decode(ids) == word);
}
