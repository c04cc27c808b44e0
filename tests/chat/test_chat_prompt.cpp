// How a chat request becomes a prompt: tokenizer_config.json loading, the --chat-template
// override, the plain User:/Assistant: layout for template-less models, chat_template_kwargs.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "chat_test_support.h"
#include "common/error.h"
#include "engine/chat/chat_prompt.h"

namespace strata::chat::testing {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("strata_chat_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const strata::InputError& e) {
    return e.what();
  }
  return "";
}

const ojson kMessages = ojson::parse(R"([{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Hi"},
                                        {"role": "assistant", "content": "Hello"},
                                        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])");

}  // namespace

TEST_CASE("plain_chat_prompt keeps the User:/Assistant: layout", "[chat][prompt]") {
  CHECK(plain_chat_prompt(kMessages) == "Be brief.\n\nUser: Hi\nAssistant: Hello\nUser: ab\nAssistant:");
  CHECK(plain_chat_prompt(nlohmann::json::parse(
            R"([{"role": "developer", "content": "D"}, {"role": "user", "content": ""}])")) ==
        "D\n\nUser: \nAssistant:");
  CHECK(error_of([] { plain_chat_prompt(ojson::array(), "f.jsonl:3"); }) ==
        "f.jsonl:3: field 'body.messages': expected a non-empty array");
  CHECK(error_of([] {
          plain_chat_prompt(ojson::parse(R"([{"role": "tool", "content": "x"}])"), "f.jsonl:3");
        }) == "f.jsonl:3: field 'body.messages': unknown role 'tool'");
  CHECK(error_of([] {
          plain_chat_prompt(ojson::parse(R"([{"role": "user", "content": [{"type": "image_url"}]}])"), "w");
        }) == "w: field 'content': only text parts are supported, got {\"type\":\"image_url\"}");
}

TEST_CASE("tokenizer_config.json: template forms and special tokens", "[chat][config]") {
  auto cfg = TokenizerChatConfig::from_json(
      ojson::parse(R"({"chat_template": "T", "bos_token": {"content": "<s>", "lstrip": false},
      "eos_token": "</s>", "pad_token": null, "unk_token": "<unk>", "additional_special_tokens": ["<a>", {"content": "<b>"}]})"),
      "cfg.json");
  REQUIRE(cfg.chat_template == std::optional<std::string>("T"));
  CHECK(cfg.template_origin == "cfg.json");
  CHECK(
      cfg.special_tokens ==
      ojson::parse(
          R"({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "additional_special_tokens": ["<a>", "<b>"]})"));

  cfg = TokenizerChatConfig::from_json(
      ojson::parse(
          R"({"chat_template": [{"name": "tool_use", "template": "U"}, {"name": "default", "template": "D"}]})"),
      "c");
  CHECK(cfg.chat_template == std::optional<std::string>("D"));
  CHECK(!TokenizerChatConfig::from_json(ojson::parse(R"({"eos_token": "</s>"})"), "c").chat_template);
  CHECK(error_of([] {
          TokenizerChatConfig::from_json(
              ojson::parse(R"({"chat_template": [{"name": "rag", "template": "R"}]})"), "c");
        }) == "c: field 'chat_template': no template named \"default\"");
  CHECK(error_of([] { TokenizerChatConfig::from_json(ojson::parse(R"({"chat_template": 3})"), "c"); }) ==
        "c: field 'chat_template': expected a string or a list of {name, template}");
  CHECK(error_of([] { TokenizerChatConfig::from_json(ojson::parse(R"({"bos_token": 1})"), "c"); }) ==
        "c: field 'bos_token': expected a string or {\"content\": ...}, got 1");
}

TEST_CASE("model directory: missing files, chat_template.jinja, special_tokens_map.json", "[chat][config]") {
  TempDir dir("cfg");
  CHECK(!TokenizerChatConfig::load(dir.path).chat_template);  // no tokenizer_config.json: no template
  CHECK(!ChatFormatter::for_model(dir.path, std::nullopt).has_template());

  dir.write("tokenizer_config.json", R"({"chat_template": "{{ bos_token }}cfg", "bos_token": "<s>"})");
  dir.write("special_tokens_map.json", R"({"bos_token": {"content": "<BOS>"}})");
  auto cfg = TokenizerChatConfig::load(dir.path);
  CHECK(cfg.chat_template == std::optional<std::string>("{{ bos_token }}cfg"));
  CHECK(cfg.special_tokens["bos_token"] == "<BOS>");  // special_tokens_map.json wins, as in transformers

  dir.write("chat_template.jinja", "{{ bos_token }}jinja");
  cfg = TokenizerChatConfig::load(dir.path);
  CHECK(cfg.chat_template == std::optional<std::string>("{{ bos_token }}jinja"));
  CHECK(cfg.template_origin == (dir.path / "chat_template.jinja").string());

  dir.write("tokenizer_config.json", "{ not json");
  CHECK(error_of([&] {
          TokenizerChatConfig::load(dir.path);
        }).rfind((dir.path / "tokenizer_config.json").string() + ": not valid JSON", 0) == 0);
}

TEST_CASE("ChatFormatter: model template, --chat-template override, plain fallback", "[chat][prompt]") {
  TempDir dir("fmt");
  dir.write(
      "tokenizer_config.json",
      R"({"chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{% endfor %}{% if add_generation_prompt %}>{% endif %}", "bos_token": "<s>"})");
  dir.write("override.jinja", "override {{ messages|length }} {{ eos_token }}");
  const ojson msgs = ojson::parse(R"([{"role": "user", "content": "x"}])");

  const auto model = ChatFormatter::for_model(dir.path, std::nullopt);
  CHECK(model.render(msgs, nullptr) == "<s>[user]>");
  const auto overridden = ChatFormatter::for_model(dir.path, dir.path / "override.jinja");
  CHECK(overridden.render(msgs, nullptr) == "override 1 ");
  CHECK(overridden.chat_template()->origin() == (dir.path / "override.jinja").string());
  CHECK(error_of([&] { ChatFormatter::for_model(dir.path, dir.path / "missing.jinja"); }) ==
        "--chat-template " + (dir.path / "missing.jinja").string() + ": cannot be read");

  const auto plain = ChatFormatter::from_config(TokenizerChatConfig{});
  CHECK(!plain.has_template());
  CHECK(plain.render(msgs, nullptr) == "User: x\nAssistant:");
}

TEST_CASE("chat_template_kwargs reach the template (Qwen3 enable_thinking)", "[chat][prompt]") {
  TokenizerChatConfig cfg;
  cfg.chat_template = read_text_file(data_dir() / "qwen3-0.6b.jinja");
  cfg.template_origin = "qwen3-0.6b.jinja";
  cfg.special_tokens = {{"eos_token", "<|im_end|>"}};
  const auto f = ChatFormatter::from_config(cfg);
  const ojson msgs = ojson::parse(R"([{"role": "user", "content": "2+2?"}])");
  const std::string base = "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n";
  CHECK(f.render(msgs, nullptr) == base);
  CHECK(f.render(msgs, {{"enable_thinking", true}}) == base);
  CHECK(f.render(msgs, {{"enable_thinking", false}}) == base + "<think>\n\n</think>\n\n");

  CHECK(error_of([&] {
          f.render(msgs, {{"messages", 1}}, "req 7");
        }) == "req 7: field 'body.chat_template_kwargs': 'messages' cannot be set there");
  CHECK(error_of([&] { f.render(msgs, ojson::array(), "req 7"); }) ==
        "req 7: field 'body.chat_template_kwargs': expected an object, got []");
  CHECK(error_of([&] { f.render(ojson::parse(R"([{"content": "x"}])"), nullptr, "req 7"); }) ==
        "req 7: field 'body.messages': each message needs a string \"role\", got {\"content\":\"x\"}");
}

TEST_CASE("the template sees tools and documents as None and the generation prompt on", "[chat][prompt]") {
  const auto t = ChatTemplate::parse(
      "{{ tools is defined }}{{ tools is none }}{{ documents is none }}{{ add_generation_prompt }}{{ "
      "bos_token is defined }}",
      "t");
  CHECK(templated_chat_prompt(t, ojson::object(), ojson::parse(R"([{"role": "user", "content": ""}])"),
                              nullptr) == "TrueTrueTrueTrueFalse");
}

}  // namespace strata::chat::testing
