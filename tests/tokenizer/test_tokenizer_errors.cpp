// Every bad tokenizer file is one strata::InputError line naming the file, the field at fault
// and what would be accepted.
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/test_support.h"

using strata::ut::TempDir;

using strata::ut::input_error_of;

namespace {

// A valid tokenizer.json (vocab a, b, ab; merge "a b") with `field` replaced by `value`.
std::string with(const std::string& field, const std::string& value) {
  nlohmann::json json = nlohmann::json::parse(R"({
    "added_tokens": [{"id": 3, "content": "<s>", "special": true}],
    "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
  json[nlohmann::json::json_pointer(field)] = nlohmann::json::parse(value);
  return json.dump();
}

// The InputError of loading `text` as <dir>/tokenizer.json, checked to be one line that starts
// with the file's path; returns what follows the path.
std::string load_error(const std::string& text) {
  TempDir dir;
  strata::ut::write_file(dir / "tokenizer.json", text);
  const std::string error = input_error_of([&] { strata::load_tokenizer(dir.path()); });
  const std::string file = (dir / "tokenizer.json").string();
  INFO("error: " << error);
  CHECK(error.find('\n') == std::string::npos);
  REQUIRE(error.starts_with(file));
  return error.substr(file.size());
}

}  // namespace

TEST_CASE("malformed tokenizer.json names the line", "[tokenizer]") {
  CHECK(load_error("{\n\"model\": {\n\"vocab\": [1,,]}}").starts_with(":3: malformed JSON: "));
  CHECK(load_error("[1, 2]") == ": (top level): expected a JSON object");
}

TEST_CASE("unknown component types name the field and the supported types", "[tokenizer]") {
  CHECK(load_error(with("/normalizer", R"({"type": "Lowercase"})")) ==
        ": normalizer.type: \"Lowercase\" is not supported (supported: NFC, NFD, NFKC, NFKD, "
        "Prepend, Replace, Sequence)");
  CHECK(load_error(with("/normalizer", R"({"type": "Sequence", "normalizers":
                                           [{"type": "NFC"}, {"type": "BertNormalizer"}]})")) ==
        ": normalizer.normalizers[1].type: \"BertNormalizer\" is not supported (supported: NFC, "
        "NFD, NFKC, NFKD, Prepend, Replace, Sequence)");
  CHECK(load_error(with("/pre_tokenizer", R"({"type": "Whitespace"})")) ==
        ": pre_tokenizer.type: \"Whitespace\" is not supported (supported: ByteLevel, Metaspace, "
        "Sequence, Split)");
  CHECK(load_error(with("/decoder", R"({"type": "WordPiece", "prefix": "##"})")) ==
        ": decoder.type: \"WordPiece\" is not supported (supported: ByteFallback, ByteLevel, "
        "Fuse, Metaspace, Replace, Sequence, Strip)");
  CHECK(load_error(with("/post_processor", R"({"type": "Unknown"})")) ==
        ": post_processor.type: \"Unknown\" is not supported (supported: BertProcessing, "
        "ByteLevel, RobertaProcessing, Sequence, TemplateProcessing)");
  CHECK(load_error(with("/model/type", R"("WordPiece")")) ==
        ": model.type: \"WordPiece\" is not supported (supported: BPE)");
  CHECK(load_error(with("/normalizer", R"({"kind": "NFC"})")) ==
        ": normalizer.type: missing; expected a string");
}

TEST_CASE("a missing or broken vocab or merge list names the field", "[tokenizer]") {
  CHECK(load_error(R"({"normalizer": null})") == ": model: missing; expected a BPE model");
  CHECK(load_error(with("/model/vocab", "null")) ==
        ": model.vocab: missing; a BPE model needs its vocab");
  CHECK(load_error(with("/model/vocab", "[1, 2]")) ==
        ": model.vocab: expected an object of token -> id");
  CHECK(load_error(with("/model/vocab/a", "-1")) ==
        ": model.vocab: token \"a\" has id -1; expected an integer in [0, 2147483647]");
  CHECK(load_error(with("/model/merges", "null")) ==
        ": model.merges: missing; a BPE model needs its merges (may be [])");
  CHECK(load_error(with("/model/merges", R"(["a x"])")) ==
        ": model.merges[0]: \"x\" is not in model.vocab");
  CHECK(load_error(with("/model/merges", R"(["a b", "ab"])")) ==
        ": model.merges[1]: expected \"left right\" (one space), found \"ab\"");
  CHECK(load_error(with("/model/merges", R"([["a"]])")) ==
        ": model.merges[0]: expected \"left right\" or [\"left\", \"right\"], found [\"a\"]");
  CHECK(load_error(with("/model/unk_token", R"("<unk>")")) ==
        ": model.unk_token: \"<unk>\" is not in model.vocab");
  CHECK(load_error(with("/model/dropout", "0.1")) ==
        ": model.dropout: BPE dropout (random merges) is not supported; expected null");
  CHECK(load_error(with("/model/continuing_subword_prefix", R"("##")")) ==
        ": model.continuing_subword_prefix: a non-empty value is not supported (supported: null "
        "or \"\")");
}

TEST_CASE("bad component settings name the field", "[tokenizer]") {
  const std::string bad_regex = load_error(with("/pre_tokenizer", R"({"type": "Split",
      "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false})"));
  CHECK(bad_regex.starts_with(
      ": pre_tokenizer.pattern.Regex: the regular expression does not compile: "));
  CHECK(load_error(with("/pre_tokenizer", R"({"type": "Split", "pattern": {"Glob": "*"},
                                              "behavior": "Isolated", "invert": false})")) ==
        ": pre_tokenizer.pattern: expected {\"String\": ...} or {\"Regex\": ...}");
  CHECK(load_error(with("/pre_tokenizer", R"({"type": "Split", "pattern": {"String": " "},
                                              "behavior": "Sideways", "invert": false})")) ==
        ": pre_tokenizer.behavior: \"Sideways\" is not supported (supported: Removed, Isolated, "
        "MergedWithPrevious, MergedWithNext, Contiguous)");
  CHECK(load_error(with("/pre_tokenizer", R"({"type": "Metaspace", "replacement": "__"})")) ==
        ": pre_tokenizer.replacement: expected exactly one character, found \"__\"");
  CHECK(load_error(with("/pre_tokenizer", R"({"type": "Metaspace", "replacement": "_",
                                              "prepend_scheme": "sometimes"})")) ==
        ": pre_tokenizer.prepend_scheme: \"sometimes\" is not supported (supported: always, "
        "first, never)");
  CHECK(load_error(with("/decoder", R"({"type": "Strip", "content": " ", "start": "1",
                                        "stop": 0})")) ==
        ": decoder.start: expected an integer, found \"1\"");
  CHECK(load_error(with("/added_tokens/0/content", "null")) ==
        ": added_tokens[0].content: missing; expected a string");
  CHECK(load_error(with("/post_processor", R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<bos>"}}, {"Sequence": {"id": "A"}}],
      "special_tokens": {}})")) ==
        ": post_processor.special_tokens.<bos>: missing; the template names \"<bos>\"");
}

TEST_CASE("load_tokenizer names what a folder lacks and what is wrong with a model file",
          "[tokenizer]") {
  TempDir dir;
  CHECK(input_error_of([&] { strata::load_tokenizer(dir.path()); }) ==
        dir.path().string() +
            ": no tokenizer: expected tokenizer.json, tokenizer.model, or vocab.json with "
            "merges.txt");
  strata::ut::write_file(dir / "tokenizer.model", "not a protobuf");
  CHECK(input_error_of([&] {
          strata::load_tokenizer(dir.path());
        }).starts_with((dir / "tokenizer.model").string() + ": not a SentencePiece model: "));
  strata::ut::write_file(dir / "vocab.json", "{}");
  std::filesystem::remove(dir / "tokenizer.model");
  CHECK(input_error_of([&] { strata::load_tokenizer(dir.path()); }) ==
        (dir / "merges.txt").string() + ": no such file");
}
