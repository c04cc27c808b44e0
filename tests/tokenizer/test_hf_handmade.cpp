// Hand-made tokenizer.json files (handmade_tokenizers.h) against Hugging Face's tokenizers: the
// components and options that the real files do not reach.
#include <catch2/catch.hpp>

#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/test_support.h"
#include "tests/tokenizer/handmade_tokenizers.h"
#include "tests/tokenizer/reference_checks.h"
#include "tests/tokenizer/tokenizer_texts.h"

using strata::AddSpecialTokens;
using strata::test::HandmadeTokenizer;

namespace {

std::vector<std::string> all_texts() {
  std::vector<std::string> texts = strata::test::varied_texts();
  for (const std::string& text : strata::test::handmade_texts()) texts.push_back(text);
  return texts;
}

void check_handmade(const HandmadeTokenizer& handmade) {
  INFO("tokenizer.json: " << handmade.name);
  strata::ut::TempDir dir;
  strata::ut::write_file(dir / "tokenizer.json", handmade.json.dump(1));
  const auto tokenizer = strata::load_tokenizer(dir.path());
  strata::test::check_matches_hf_reference(*tokenizer, dir / "tokenizer.json", all_texts(),
                                           strata::test::handmade_tokens());
}

}  // namespace

TEST_CASE("a hand-made Llama-2-style tokenizer.json matches Hugging Face's tokenizers",
          "[tokenizer][reference]") {
  check_handmade(strata::test::llama2_style_tokenizer());
}

TEST_CASE("hand-made Metaspace tokenizer.json files match Hugging Face's tokenizers",
          "[tokenizer][reference]") {
  for (const HandmadeTokenizer& handmade : strata::test::metaspace_tokenizers()) {
    check_handmade(handmade);
  }
}

TEST_CASE("hand-made byte-level tokenizer.json files match Hugging Face's tokenizers",
          "[tokenizer][reference]") {
  for (const HandmadeTokenizer& handmade : strata::test::byte_level_tokenizers()) {
    check_handmade(handmade);
  }
}

TEST_CASE("the hand-made files do reach the options they are for", "[tokenizer]") {
  // Properties that would make the reference comparisons vacuous if they failed.
  strata::ut::TempDir dir;
  const auto byte_level = strata::test::byte_level_tokenizers().front();
  strata::ut::write_file(dir / "tokenizer.json", byte_level.json.dump());
  const auto tokenizer = strata::load_tokenizer(dir.path());
  const auto quick = tokenizer->token_id("\xC4\xA0quick");
  REQUIRE(quick.has_value());
  CHECK(tokenizer->encode(" quick", AddSpecialTokens::no) == std::vector<int32_t>{*quick});
  const auto aba = tokenizer->token_id("aba");
  REQUIRE(aba.has_value());
  CHECK(tokenizer->encode("abab", AddSpecialTokens::no).front() == *aba);
}
