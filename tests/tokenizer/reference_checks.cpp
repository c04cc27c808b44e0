#include "tests/tokenizer/reference_checks.h"

#include <catch2/catch.hpp>
#include <climits>

#include "tests/tokenizer/reference_runner.h"

namespace strata::test {

void check_matches_hf_reference(const Tokenizer& tokenizer,
                                const std::filesystem::path& tokenizer_json,
                                const std::vector<std::string>& texts,
                                const std::vector<std::string>& tokens) {
  using Ids = std::vector<int32_t>;
  // Ours first, so that HF decodes exactly the ids we produce (the encodings are compared too).
  std::vector<Ids> ours_no, ours_yes;
  for (const std::string& text : texts) {
    ours_no.push_back(tokenizer.encode(text, AddSpecialTokens::no));
    ours_yes.push_back(tokenizer.encode(text, AddSpecialTokens::yes));
  }
  std::vector<Ids> decode = ours_yes;
  const auto size = int32_t(tokenizer.vocab_size());
  Ids special_ids;
  for (const std::string& token : tokens) {
    if (const auto id = tokenizer.token_id(token)) special_ids.push_back(*id);
  }
  const Ids hello = tokenizer.encode("Hello", AddSpecialTokens::no);
  Ids beyond = {size, size + 1, INT32_MAX, -1};
  beyond.insert(beyond.begin() + 2, hello.begin(), hello.end());
  decode.push_back(beyond);       // ids >= size and negative ones decode to nothing
  decode.push_back(special_ids);  // shown or skipped
  const HfReference reference = run_hf_reference(tokenizer_json, texts, decode, tokens);

  CHECK(tokenizer.vocab_size() == reference.vocab_size);
  for (size_t i = 0; i < tokens.size(); ++i) {
    INFO("token " << tokens[i]);
    CHECK(tokenizer.token_id(tokens[i]) == reference.token_ids[i]);
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO("text #" << i << ": " << texts[i]);
    CHECK(ours_no[i] == reference.encodings[i].no);
    CHECK(ours_yes[i] == reference.encodings[i].yes);
  }
  for (size_t i = 0; i < decode.size(); ++i) {
    INFO("decoding list #" << i << " (" << decode[i].size() << " ids)");
    const std::string skip = tokenizer.decode(decode[i], true);
    const std::string keep = tokenizer.decode(decode[i], false);
    CHECK(skip == reference.decoded[i].skip);
    CHECK(keep == reference.decoded[i].keep);
    // Incremental decoding: the bytes of a prefix of the ids are a prefix of the bytes.
    for (size_t k = 0; k < decode[i].size(); ++k) {
      const std::string part = tokenizer.decode(std::span(decode[i]).first(k), false);
      if (!keep.starts_with(part)) FAIL_CHECK("decoding the first " << k << " ids is no prefix");
    }
  }
}

}  // namespace strata::test
