// Each construct the engine supports, as a small template in tests/data/chat/constructs.json,
// rendered by Strata and by python3-jinja2 (transformers' environment): outputs byte-identical,
// and where jinja2 fails Strata fails too, with one line naming the template and line.
// A few hand-written expectations below pin behaviour independently of the reference.
#include <catch2/catch.hpp>

#include "chat_test_support.h"
#include "common/error.h"

namespace strata::chat::testing {
namespace {

std::string render_text(const std::string& tmpl,
                        const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object()) {
  RenderOptions options;
  options.now = kNow;
  return ChatTemplate::parse(tmpl, "t.jinja").render(ctx, options);
}

}  // namespace

TEST_CASE("small templates render byte-identically to jinja2", "[chat][reference]") {
  const auto cases = read_json_file(data_dir() / "constructs.json");
  REQUIRE(cases.size() >= 80);
  // One reference process for all cases; each case is a request with its own template.
  nlohmann::ordered_json requests = nlohmann::ordered_json::array();
  for (const auto& c : cases) {
    requests.push_back(
        {{"now", kNow}, {"template", c["template"]}, {"cases", {{{"context", c["context"]}}}}});
  }
  const auto answers = jinja2_reference(requests);
  REQUIRE(answers.size() == cases.size());

  int errors = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const std::string name = c["name"].get<std::string>();
    INFO("case '" << name << "': " << c["template"].get<std::string>());
    Rendered ours;
    try {
      ours.text = render_text(c["template"].get<std::string>(), c["context"]);
    } catch (const strata::InputError& e) {
      ours.error = e.what();
    }
    const auto& expected = answers[i][0];
    const bool expect_error = name.rfind("error:", 0) == 0;
    CHECK(expected.contains("error") == expect_error);  // the table says which cases fail
    if (expected.contains("text")) {
      INFO("strata failed: " << ours.error);
      REQUIRE(ours.text.has_value());
      const std::string diff = describe_difference(expected["text"].get<std::string>(), *ours.text);
      INFO(diff);
      CHECK(diff.empty());
    } else {
      INFO("jinja2: " << expected["kind"].get<std::string>() << ": " << expected["error"].get<std::string>());
      REQUIRE_FALSE(ours.text.has_value());
      CHECK(ours.error.rfind("t.jinja:1: ", 0) == 0);
      CHECK(ours.error.find('\n') == std::string::npos);
      ++errors;
    }
  }
  CHECK(errors >= 10);
}

TEST_CASE("hand-checked renders", "[chat]") {
  // Values worked out by hand from Jinja's documented rules, independent of the reference.
  CHECK(render_text("{% if true %}\n  a\n{% endif %}\n") == "  a\n");
  CHECK(render_text("  {% if true %}a{% endif %}") == "a");
  CHECK(render_text("{{ ' x ' | trim }}|{{ [1, 'b'] }}|{{ none }}|{{ 1.0 }}") == "x|[1, 'b']|None|1.0");
  CHECK(render_text("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor "
                    "%}{{ ns.n }}") == "6");
  CHECK(render_text("{{ x | tojson }}", {{"x", {{"b", "é"}, {"a", 1}}}}) == "{\"b\": \"é\", \"a\": 1}");
  CHECK(render_text("{{ m[1:] | length }}{{ m[-1] }}", {{"m", {1, 2, 3}}}) == "23");
  CHECK(render_text("{{ strftime_now('%d %b %Y') }}") == "15 Jan 2025");
}

TEST_CASE("a nlohmann::json context renders like the ordered one", "[chat]") {
  const auto t = ChatTemplate::parse("{{ messages[0].content }}{{ x|tojson }}", "t.jinja");
  const nlohmann::json ctx = {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                              {"x", {{"b", 1}, {"a", 2}}}};
  CHECK(t.render(ctx) == "hi{\"a\": 2, \"b\": 1}");  // nlohmann::json sorts keys itself
}

TEST_CASE("templates render concurrently from one parse", "[chat]") {
  const auto t = ChatTemplate::parse("{% for m in messages %}{{ m.content|upper }}{% endfor %}", "t.jinja");
  const nlohmann::ordered_json ctx = {{"messages", {{{"content", "ab"}}, {{"content", "cd"}}}}};
  const ChatTemplate copy = t;  // copies share the parsed tree
  CHECK(copy.render(ctx) == "ABCD");
  CHECK(t.render(ctx) == "ABCD");
  CHECK(copy.origin() == "t.jinja");
}

}  // namespace strata::chat::testing
