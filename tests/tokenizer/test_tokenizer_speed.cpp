// Encoding speed on a real file (Llama 3.1's tokenizer.json), for a person to read: hidden from
// the default run ([.speed]); `strata_tokenizer_tests "[speed]"` prints it.
#include <catch2/catch.hpp>
#include <chrono>

#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/reference_runner.h"
#include "tests/tokenizer/tokenizer_texts.h"

TEST_CASE("encoding speed on Llama 3.1's tokenizer.json", "[.speed][tokenizer]") {
  using Clock = std::chrono::steady_clock;
  const auto load_start = Clock::now();
  const auto tokenizer =
      strata::load_tokenizer(strata::test::lenml_model_dir("tokenizer-llama3_1"));
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();

  // 2000 "documents" of the varied texts in a different order each, about 4 MB.
  const auto& texts = strata::test::varied_texts();
  std::vector<std::string> documents;
  size_t bytes = 0;
  for (size_t d = 0; d < 2000; ++d) {
    std::string document;
    for (size_t i = 0; i < texts.size(); ++i) document += texts[(i * 7 + d) % texts.size()] + " ";
    bytes += document.size();
    documents.push_back(std::move(document));
  }
  const auto start = Clock::now();
  size_t tokens = 0;
  for (const std::string& document : documents) {
    tokens += tokenizer->encode(document, strata::AddSpecialTokens::yes).size();
  }
  const double encode_s = std::chrono::duration<double>(Clock::now() - start).count();
  WARN("load " << load_s << " s; encode " << bytes / 1e6 << " MB in " << encode_s << " s = "
               << bytes / 1e6 / encode_s << " MB/s, " << tokens / encode_s << " tokens/s");
  CHECK(tokens > 0);
}
