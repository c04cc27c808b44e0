// tokenizer.model (SentencePiece) tokenizers against python3-sentencepiece, on small models that
// the test trains with sentencepiece's own trainer (tests/reference/sentencepiece_reference.py).
#include <catch2/catch.hpp>

#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/test_support.h"
#include "tests/tokenizer/reference_runner.h"
#include "tests/tokenizer/tokenizer_texts.h"

using strata::AddSpecialTokens;
using strata::test::run_sentencepiece_reference;
using strata::ut::TempDir;
using Ids = std::vector<int32_t>;

namespace {

struct Options {
  std::string model_type;
  int vocab_size;
  bool byte_fallback;
  std::string normalization;
};

// Trains <dir>/tokenizer.model.
void train(const TempDir& dir, const Options& options) {
  const nlohmann::json response =
      run_sentencepiece_reference("train", {{"model_prefix", (dir / "tokenizer").string()},
                                            {"model_type", options.model_type},
                                            {"vocab_size", options.vocab_size},
                                            {"byte_fallback", options.byte_fallback},
                                            {"normalization", options.normalization}});
  REQUIRE(std::filesystem::exists(dir / "tokenizer.model"));
}

std::vector<std::string> texts() {
  std::vector<std::string> texts = strata::test::varied_texts();
  for (const std::string special : {"<s>", "</s>", "<unk>"}) {
    texts.push_back(special + "Hello" + special + " world " + special);
    texts.push_back("x" + special + special + " " + special.substr(1));
  }
  return texts;
}

// Everything the reference reports, for the model in `dir`.
void check_against_reference(const TempDir& dir, bool add_bos, bool add_eos) {
  const auto tokenizer = strata::load_tokenizer(dir.path());
  nlohmann::json request = {{"model", (dir / "tokenizer.model").string()},
                            {"add_bos", add_bos},
                            {"add_eos", add_eos},
                            {"texts_base64", nlohmann::json::array()},
                            {"decode", nlohmann::json::array()},
                            {"tokens", {"<s>", "</s>", "<unk>", "\xE2\x96\x81the", "nope"}}};
  std::vector<Ids> ours_no, ours_yes;
  for (const std::string& text : texts()) {
    request["texts_base64"].push_back(strata::test::base64(text));
    ours_no.push_back(tokenizer->encode(text, AddSpecialTokens::no));
    ours_yes.push_back(tokenizer->encode(text, AddSpecialTokens::yes));
    request["decode"].push_back(ours_yes.back());
  }
  const int32_t size = int32_t(tokenizer->vocab_size());
  request["decode"].push_back(Ids{size, size + 7, -1});
  const nlohmann::json reference = run_sentencepiece_reference("run", request);

  CHECK(tokenizer->vocab_size() == reference["vocab_size"].get<size_t>());
  CHECK(tokenizer->adds_special_tokens() == (add_bos || add_eos));
  const auto tokens = request["tokens"].get<std::vector<std::string>>();
  for (size_t i = 0; i < tokens.size(); ++i) {
    INFO("token " << tokens[i]);
    const auto& expected = reference["token_ids"][i];
    CHECK(tokenizer->token_id(tokens[i]) ==
          (expected.is_null() ? std::nullopt : std::optional<int32_t>(expected.get<int32_t>())));
  }
  for (size_t i = 0; i < ours_no.size(); ++i) {
    INFO("text #" << i << ": " << texts()[i]);
    CHECK(ours_no[i] == reference["encodings"][i]["no"].get<Ids>());
    CHECK(ours_yes[i] == reference["encodings"][i]["yes"].get<Ids>());
  }
  for (size_t i = 0; i < request["decode"].size(); ++i) {
    const Ids ids = request["decode"][i].get<Ids>();
    INFO("decoding list #" << i);
    CHECK(tokenizer->decode(ids, true) == reference["decoded"][i]["skip"].get<std::string>());
    CHECK(tokenizer->decode(ids, false) == reference["decoded"][i]["keep"].get<std::string>());
    const std::string whole = tokenizer->decode(ids, false);
    for (size_t k = 0; k < ids.size(); ++k) {
      if (!whole.starts_with(tokenizer->decode(std::span(ids).first(k), false))) {
        FAIL_CHECK("decoding the first " << k << " ids is no prefix");
      }
    }
  }
}

}  // namespace

TEST_CASE("a SentencePiece BPE model with byte fallback matches python3-sentencepiece",
          "[tokenizer][sentencepiece]") {
  TempDir dir;
  train(dir, {"bpe", 500, /*byte_fallback=*/true, "identity"});
  check_against_reference(dir, /*add_bos=*/true, /*add_eos=*/false);  // no tokenizer_config.json

  // A character the model does not know falls back to its bytes, and decoding those bytes one by
  // one gives exactly the bytes so far (SentencePiece itself would give U+FFFD).
  const auto tokenizer = strata::load_tokenizer(dir.path());
  const std::string snowman = "\xE2\x98\x83";
  const Ids ids = tokenizer->encode(snowman, AddSpecialTokens::no);
  REQUIRE(ids.size() >= 3);
  const Ids bytes(ids.end() - 3, ids.end());
  CHECK(tokenizer->decode(std::span(bytes).first(1)).ends_with("\xE2"));
  CHECK(tokenizer->decode(std::span(bytes).first(2)).ends_with("\xE2\x98"));
  CHECK(tokenizer->decode(ids) == snowman);
}

TEST_CASE("a SentencePiece unigram model with NFKC and unk matches python3-sentencepiece",
          "[tokenizer][sentencepiece]") {
  TempDir dir;
  train(dir, {"unigram", 200, /*byte_fallback=*/false, "nmt_nfkc"});
  strata::ut::write_file(dir / "tokenizer_config.json",
                         R"({"add_bos_token": false, "add_eos_token": true})");
  check_against_reference(dir, /*add_bos=*/false, /*add_eos=*/true);
}

TEST_CASE("load_tokenizer prefers tokenizer.json, then tokenizer.model, then vocab.json",
          "[tokenizer]") {
  TempDir dir;
  train(dir, {"bpe", 500, true, "identity"});
  CHECK(strata::load_tokenizer(dir.path())->vocab_size() == 500);
  // A tokenizer.json beside it wins (here one with three tokens and no merges).
  strata::ut::write_file(dir / "tokenizer.json",
                         R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2},
                                       "merges": []}})");
  CHECK(strata::load_tokenizer(dir.path())->vocab_size() == 3);
}
