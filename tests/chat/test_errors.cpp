// Template errors are one line "ORIGIN:LINE: what", naming the construct or the template's own
// message: unsupported constructs at parse time, failures at render time.
#include <catch2/catch.hpp>

#include "chat_test_support.h"
#include "common/error.h"

namespace strata::chat::testing {
namespace {

// The InputError message of parsing (and rendering with ctx) `tmpl`, or "" when it succeeds.
std::string error_of(const std::string& tmpl,
                     const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object()) {
  try {
    ChatTemplate::parse(tmpl, "models/x/tokenizer_config.json").render(ctx);
  } catch (const strata::InputError& e) {
    return e.what();
  }
  return "";
}

void check_one_line(const std::string& message, const std::string& expected) {
  INFO("got: " << message);
  CHECK(message == expected);
  CHECK(message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("unsupported statements are one error naming the construct and line", "[chat][errors]") {
  const std::string origin = "models/x/tokenizer_config.json";
  check_one_line(error_of("a\nb\n{% include 'other.jinja' %}"),
                 origin + ":3: unsupported template construct '{% include %}'");
  check_one_line(error_of("{% extends 'base' %}"),
                 origin + ":1: unsupported template construct '{% extends %}'");
  check_one_line(error_of("x\n{% block body %}{% endblock %}"),
                 origin + ":2: unsupported template construct '{% block %}'");
  check_one_line(error_of("{% import 'm' as m %}"),
                 origin + ":1: unsupported template construct '{% import %}'");
  check_one_line(error_of("{% call m() %}x{% endcall %}"),
                 origin + ":1: unsupported template construct '{% call %}'");
  check_one_line(error_of("\n\n{% filter upper %}x{% endfilter %}"),
                 origin + ":3: unsupported template construct '{% filter %}'");
  check_one_line(error_of("{% with a = 1 %}{% endwith %}"),
                 origin + ":1: unsupported template construct '{% with %}'");
  check_one_line(error_of("{% for x in y recursive %}{% endfor %}"),
                 origin + ":1: unsupported template construct '{% for ... recursive %}'");
  check_one_line(error_of("{% set x | upper %}a{% endset %}"),
                 origin + ":1: unsupported template construct '{% set block with a filter %}'");
}

TEST_CASE("unsupported filters, tests and methods are named", "[chat][errors]") {
  const std::string origin = "models/x/tokenizer_config.json";
  check_one_line(error_of("{{ 'a b' | wordwrap(3) }}"), origin + ":1: unsupported filter 'wordwrap'");
  check_one_line(error_of("x\n{{ 1 is escaped }}"), origin + ":2: unsupported test 'escaped'");
  // Methods are found when called, so the error comes at render time, still with its line.
  check_one_line(error_of("\n{{ 'a'.zfill(3) }}"),
                 origin + ":2: unsupported template construct 'str.zfill()'");
  check_one_line(error_of("{{ '%s' % 'x' }}"),
                 origin + ":1: unsupported template construct 'printf-style str % args'");
  check_one_line(error_of("{{ m.content.append(1) }}", {{"m", {{"content", {1}}}}}),
                 origin + ":1: unsupported template construct 'list.append()'");
  check_one_line(error_of("{{ 'é'.upper() }}"), origin +
                                                    ":1: str.upper() of non-ASCII text is not supported "
                                                    "(Python's Unicode case tables are not carried)");
}

TEST_CASE("raise_exception reports the template's message and line", "[chat][errors]") {
  const std::string tmpl =
      "{%- for message in messages %}\n"
      "    {%- if message.role not in ['user', 'assistant'] %}\n"
      "        {{- raise_exception('Only user and assistant roles are supported!') }}\n"
      "    {%- endif %}\n"
      "{%- endfor %}";
  const nlohmann::ordered_json ctx = {{"messages", {{{"role", "tool"}, {"content", "x"}}}}};
  check_one_line(error_of(tmpl, ctx),
                 "models/x/tokenizer_config.json:3: the chat template raised an error: "
                 "Only user and assistant roles are supported!");
}

TEST_CASE("syntax errors name the line", "[chat][errors]") {
  const std::string origin = "models/x/tokenizer_config.json";
  check_one_line(error_of("{% if x %}\nno end"), origin + ":1: missing {% endif %} for the tag opened here");
  check_one_line(error_of("a\n{% endfor %}"),
                 origin + ":2: unexpected {% endfor %} (nothing open that it closes)");
  check_one_line(error_of("a {{ x \n"), origin + ":1: unclosed tag (missing '}}')");
  check_one_line(error_of("{{ 'abc }}"), origin + ":1: unterminated string literal");
  check_one_line(error_of("{{ }}"), origin + ":1: expected an expression, got end of tag");
  check_one_line(error_of("{{ a b }}"), origin + ":1: unexpected tokens at the end of the tag, got 'b'");
  check_one_line(error_of("{% break %}"), origin + ":1: {% break %} outside a for loop");
  check_one_line(error_of("{# never closed"), origin + ":1: unclosed comment");
  check_one_line(error_of("{{ x $ y }}"), origin + ":1: unexpected character '$' in a tag");
}

TEST_CASE("render failures name the line of the failing expression", "[chat][errors]") {
  const std::string origin = "models/x/tokenizer_config.json";
  check_one_line(error_of("line1\n\n{{ 'a' +\n 1 }}"),
                 origin + ":3: can only concatenate str (not \"int\") to str");
  check_one_line(error_of("{% for m in messages %}\n{{ m.x.y }}{% endfor %}",
                          {{"messages", {nlohmann::ordered_json::object()}}}),
                 origin + ":2: 'dict object' has no attribute 'x'");
  check_one_line(error_of("\n{{ helper() }}"), origin + ":2: 'helper' is undefined");
  check_one_line(error_of("{{ x|tojson }}"),
                 origin + ":1: Object of type Undefined is not JSON serializable");
}

TEST_CASE("runaway nesting and recursion are errors, not crashes", "[chat][errors]") {
  const std::string origin = "models/x/tokenizer_config.json";
  check_one_line(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}"),
                 origin + ":1: expression nested too deeply");
  check_one_line(error_of("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}\n{{ m(0) }}"),
                 origin + ":1: maximum recursion depth exceeded in macro 'm'");
  CHECK(error_of("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ f(50) }}")
            .empty());
}

TEST_CASE("invalid UTF-8 in a template is refused", "[chat][errors]") {
  try {
    ChatTemplate::parse(std::string("ok \xff"), "t.jinja");
    FAIL("expected an error");
  } catch (const strata::InputError& e) {
    CHECK(std::string(e.what()) == "t.jinja: the chat template is not valid UTF-8");
  }
}

}  // namespace strata::chat::testing
