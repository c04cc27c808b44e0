// Loading vocab.json / merges.txt / special-token configs: what is accepted, and that every bad
// file is an InputError naming the file and, where one line is at fault, the line.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "tests/tokenizer/test_tokenizer_fixture.h"

using Catch::Matchers::StartsWith;
using strata::BpeTokenizer;
using strata::test::byte_id;
using strata::test::TempDir;
using strata::test::write_file;
using Ids = std::vector<int32_t>;

using strata::ut::input_error_of;

namespace {

std::string load_error(const TempDir& dir) {
  return input_error_of([&] { BpeTokenizer::load(dir.path()); });
}

// A good vocab with "ab" (id 260) and "abc" (id 261); merges.txt as given.
void write_model_with_merges(const TempDir& dir, std::string_view merges_txt) {
  write_file(dir.path() / "vocab.json", strata::test::vocab_json_text(
                                            strata::test::tiny_tokens({"ab", "abc"})));
  write_file(dir.path() / "merges.txt", merges_txt);
}

}  // namespace

TEST_CASE("missing tokenizer files are named", "[tokenizer]") {
  TempDir dir;
  const std::string vocab = (dir.path() / "vocab.json").string();
  CHECK(load_error(dir) == vocab + ": no such file");
  write_file(dir.path() / "vocab.json", "{\"a\": 0}");
  CHECK(load_error(dir) == (dir.path() / "merges.txt").string() + ": no such file");
  CHECK(input_error_of([&] { BpeTokenizer::from_files(dir.path() / "nope.json", vocab); }) ==
        (dir.path() / "nope.json").string() + ": no such file");
}

TEST_CASE("bad vocab.json files are rejected with file and line", "[tokenizer]") {
  TempDir dir;
  write_file(dir.path() / "merges.txt", "#version: 0.2\n");
  const std::string vocab = (dir.path() / "vocab.json").string();
  auto error_with_vocab = [&](std::string_view text) {
    write_file(dir.path() / "vocab.json", text);
    return load_error(dir);
  };
  CHECK_THAT(error_with_vocab("{\n \"a\": 0,\n \"b\" 1\n}\n"), StartsWith(vocab + ":3: malformed JSON: "));
  CHECK_THAT(error_with_vocab("{\"a\": 0,\n\"b\": 1,\n"), StartsWith(vocab + ":3: malformed JSON: "));
  CHECK_THAT(error_with_vocab(""), StartsWith(vocab + ":1: malformed JSON: "));
  CHECK_THAT(error_with_vocab("{\"\xFF\": 0}"), StartsWith(vocab + ":1: malformed JSON: "));
  CHECK(error_with_vocab("[1, 2]") == vocab + ": expected one JSON object of token -> id");
  const std::string range = "; expected an integer in [0, 2147483647]";
  CHECK(error_with_vocab("{\"a\": \"x\"}") == vocab + ": token \"a\" has id \"x\"" + range);
  CHECK(error_with_vocab("{\"a\": -1}") == vocab + ": token \"a\" has id -1" + range);
  CHECK(error_with_vocab("{\"a\": 1.5}") == vocab + ": token \"a\" has id 1.5" + range);
  CHECK(error_with_vocab("{\"a\": 3000000000}") == vocab + ": token \"a\" has id 3000000000" + range);
  CHECK(error_with_vocab("{\"a\": 7, \"b\": 7}") == vocab + ": id 7 is given to both \"a\" and \"b\"");
}

TEST_CASE("bad merges.txt lines are rejected with file and line", "[tokenizer]") {
  TempDir dir;
  const std::string merges = (dir.path() / "merges.txt").string();
  auto error_with_merges = [&](std::string_view text) {
    write_model_with_merges(dir, text);
    return load_error(dir);
  };
  const std::string two_symbols = ": expected two symbols separated by one space";
  CHECK(error_with_merges("#version: 0.2\na b\nab\n") == merges + ":3" + two_symbols);
  CHECK(error_with_merges("#version: 0.2\na b c\n") == merges + ":2" + two_symbols);
  CHECK(error_with_merges("#version: 0.2\na  b\n") == merges + ":2" + two_symbols);
  CHECK(error_with_merges("#version: 0.2\n a\n") == merges + ":2" + two_symbols);
  CHECK(error_with_merges("#version: 0.2\na \n") == merges + ":2" + two_symbols);
  CHECK(error_with_merges("a b\n\nab c\n") == merges + ":2" + two_symbols);  // blank, not at end
  CHECK(error_with_merges("#version: 0.2\n#version: 0.2\n") ==  // only line 1 may be a header
        merges + ":2: symbol \"#version:\" is not in vocab.json");
  CHECK(error_with_merges("#version: 0.2\na b\nq\xE2\x98\x83 b\n") ==
        merges + ":3: symbol \"q\xE2\x98\x83\" is not in vocab.json");
  CHECK(error_with_merges("#version: 0.2\na zz\n") ==
        merges + ":2: symbol \"zz\" is not in vocab.json");
  CHECK(error_with_merges("#version: 0.2\na b\nab c\nb a\n") ==
        merges + ":4: merged symbol \"ba\" is not in vocab.json");
  // A blank file is a truncated one (issue 16): refused, not byte-level tokens.
  CHECK_THAT(error_with_merges(""), Catch::StartsWith(merges + ": empty"));
  CHECK_THAT(error_with_merges("\n\n"), Catch::StartsWith(merges + ": empty"));
}

TEST_CASE("merges.txt variants that are accepted", "[tokenizer]") {
  TempDir dir;
  auto encode_with_merges = [&](std::string_view text) {
    write_model_with_merges(dir, text);
    return BpeTokenizer::load(dir.path()).encode("abc");
  };
  const Ids unmerged = {byte_id('a'), byte_id('b'), byte_id('c')};
  CHECK(encode_with_merges("#version: 0.2\n") == unmerged);  // a header, no rule: byte-level
  CHECK(encode_with_merges("#version: 0.2\na b\n") == Ids{260, byte_id('c')});
  CHECK(encode_with_merges("a b\nab c") == Ids{261});                     // no header, no final \n
  CHECK(encode_with_merges("#version: 0.2\r\na b\r\nab c\r\n") == Ids{261});  // CRLF
  CHECK(encode_with_merges("#version: 0.2\na b\nab c\n\n\n") == Ids{261});  // trailing blanks
  CHECK(encode_with_merges("a b\na b\nab c\n") == Ids{261});                // repeated rule
}

TEST_CASE("special tokens named by the model's config files", "[tokenizer]") {
  TempDir dir;
  const std::string eot = "<|endoftext|>";  // id 260
  strata::test::write_tiny_model(dir.path(), {eot, "<mask>"}, {});
  const Ids text_ids = BpeTokenizer::load(dir.path()).encode("a" + eot + "<mask>");
  CHECK(text_ids.size() == 1 + eot.size() + 6);  // not special yet: bytes ("<|" is one piece)

  write_file(dir.path() / "special_tokens_map.json",
             R"({"bos_token": "</s>", "eos_token": {"content": "</s>", "lstrip": false},
                 "mask_token": null, "additional_special_tokens": [")" + eot + R"(", "<absent>"]})");
  write_file(dir.path() / "tokenizer_config.json",
             R"({"added_tokens_decoder": {"261": {"content": "<mask>", "special": true}},
                 "model_max_length": 2048})");
  const auto tok = BpeTokenizer::load(dir.path());
  CHECK(tok.encode("a" + eot + "<mask></s>") == Ids{byte_id('a'), 260, 261, 2});
  CHECK(tok.encode("<absent>").size() == 8);  // a name missing from vocab.json is ignored
  CHECK(tok.decode(Ids{260, byte_id('a'), 261}) == "a");
  CHECK(tok.decode(Ids{260, byte_id('a')}, /*skip_special=*/false) == eot + "a");
  // from_files reads no config: only the default specials.
  const auto plain = BpeTokenizer::from_files(dir.path() / "vocab.json", dir.path() / "merges.txt");
  CHECK(plain.encode(eot).size() == eot.size());  // no merges: one id per byte
  CHECK(plain.encode("</s>") == Ids{2});
}

TEST_CASE("bad special-token config files are rejected with file and line", "[tokenizer]") {
  TempDir dir;
  strata::test::write_tiny_model(dir.path(), {}, {});
  const std::string config = (dir.path() / "special_tokens_map.json").string();
  write_file(config, "{\n  \"bos_token\": \"<s>\",\n  \"eos_token\": </s>\n}");
  CHECK_THAT(load_error(dir), StartsWith(config + ":3: malformed JSON: "));
  write_file(config, R"({"bos_token": 5})");
  CHECK(load_error(dir) ==
        config + ": \"bos_token\" must be a string or an object with a string \"content\"");
  write_file(config, R"({"additional_special_tokens": "<s>"})");
  CHECK(load_error(dir) == config + ": \"additional_special_tokens\" must be a list");
  write_file(config, R"(["<s>"])");
  CHECK(load_error(dir) == config + ": expected a JSON object");
}
