// parse_request / read_requests: every field, defaults, id echo, and InputErrors that name
// FILE:LINE and the field for each kind of bad line.
#include <catch2/catch.hpp>

#include <string>

#include "cli/job/request.h"
#include "common/error.h"
#include "engine/test_support.h"

namespace strata::cli {
namespace {

// parse_request must throw InputError whose message contains "req.jsonl:LINE" and `names`.
void expect_bad(const std::string& text, int64_t line, std::initializer_list<std::string> names) {
  CAPTURE(text);
  try {
    parse_request(text, "req.jsonl", line);
    FAIL("no InputError");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.rfind("req.jsonl:" + std::to_string(line) + ":", 0) == 0);
    for (const auto& n : names) CHECK(msg.find(n) != std::string::npos);
  }
}

std::string read_error(const std::filesystem::path& path) {
  try {
    read_requests(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

TEST_CASE("parse_request reads every field", "[request]") {
  const Request r = parse_request(
      R"({"id": "q-1", "prompt": "Hello\nworld", "max_tokens": 32, "temperature": 0.7,)"
      R"( "top_p": 0.9, "top_k": 40, "stop": ["\n\n", "END"], "seed": 12345678901})",
      "req.jsonl", 3);
  CHECK(r.line == 3);
  CHECK(r.id == "q-1");
  CHECK(r.prompt == "Hello\nworld");
  CHECK(r.max_tokens == 32);
  CHECK(r.temperature == 0.7f);
  CHECK(r.top_p == 0.9f);
  CHECK(r.top_k == 40);
  CHECK(r.seed == 12345678901ull);
  CHECK(r.stop == std::vector<std::string>{"\n\n", "END"});
  // A single stop string; the extremes of each range are accepted.
  const Request s = parse_request(
      R"({"prompt": "", "stop": "###", "temperature": 0, "top_p": 1, "max_tokens": 0, "top_k": 0})",
      "req.jsonl", 1);
  CHECK(s.prompt.empty());
  CHECK(s.stop == std::vector<std::string>{"###"});
  CHECK(s.temperature == 0.0f);
  CHECK(s.top_p == 1.0f);
  CHECK(s.max_tokens == 0);
  CHECK(s.top_k == 0);
}

TEST_CASE("parse_request defaults and id echo", "[request]") {
  const Request r = parse_request(R"({"prompt": "hi"})", "req.jsonl", 7);
  CHECK(r.id == "line-7");
  CHECK(r.id.is_string());
  CHECK_FALSE(r.max_tokens.has_value());
  CHECK_FALSE(r.temperature.has_value());
  CHECK_FALSE(r.top_p.has_value());
  CHECK_FALSE(r.top_k.has_value());
  CHECK_FALSE(r.seed.has_value());
  CHECK(r.stop.empty());
  // Explicit nulls are absent fields.
  const Request n = parse_request(R"({"prompt": "hi", "id": null, "top_p": null, "stop": null})",
                                  "req.jsonl", 2);
  CHECK(n.id == "line-2");
  CHECK_FALSE(n.top_p.has_value());
  CHECK(n.stop.empty());
  // An integer id stays an integer (echoed as 17, not "17").
  const Request i = parse_request(R"({"prompt": "hi", "id": 17})", "req.jsonl", 1);
  CHECK(i.id.is_number_integer());
  CHECK(i.id == 17);
  CHECK(i.id.dump() == "17");
  const Request s = parse_request(R"({"prompt": "hi", "id": "17"})", "req.jsonl", 1);
  CHECK(s.id.dump() == "\"17\"");
}

TEST_CASE("parse_request errors name file:line and the field", "[request]") {
  expect_bad(R"({"prompt": "hi")", 4, {"malformed JSON"});
  expect_bad("prompt: hi", 5, {"JSON"});
  expect_bad(R"(["prompt", "hi"])", 6, {"prompt"});
  expect_bad(R"({"max_tokens": 5})", 7, {"prompt", "missing"});
  expect_bad(R"({"prompt": null})", 7, {"prompt"});
  expect_bad(R"({"prompt": 42})", 8, {"prompt", "42"});
  expect_bad(R"({"prompt": ["a"]})", 8, {"prompt"});
  expect_bad(R"({"prompt": "hi", "max_tokens": "ten"})", 9, {"max_tokens", "ten"});
  expect_bad(R"({"prompt": "hi", "max_tokens": -1})", 9, {"max_tokens"});
  expect_bad(R"({"prompt": "hi", "max_tokens": 2.5})", 9, {"max_tokens"});
  expect_bad(R"({"prompt": "hi", "temperature": -1})", 10, {"temperature", "-1"});
  expect_bad(R"({"prompt": "hi", "temperature": "hot"})", 10, {"temperature"});
  expect_bad(R"({"prompt": "hi", "top_p": 0})", 11, {"top_p"});
  expect_bad(R"({"prompt": "hi", "top_p": 1.5})", 12, {"top_p", "1.5"});
  expect_bad(R"({"prompt": "hi", "top_k": -3})", 12, {"top_k"});
  expect_bad(R"({"prompt": "hi", "seed": -1})", 12, {"seed"});
  expect_bad(R"({"prompt": "hi", "seed": "abc"})", 12, {"seed"});
  expect_bad(R"({"prompt": "hi", "stop": [1, 2]})", 13, {"stop"});
  expect_bad(R"({"prompt": "hi", "stop": ["ok", null]})", 13, {"stop"});
  expect_bad(R"({"prompt": "hi", "stop": 5})", 13, {"stop"});
  expect_bad(R"({"prompt": "hi", "stop": {"a": "b"}})", 13, {"stop"});
  expect_bad(R"({"prompt": "hi", "id": 1.5})", 14, {"id"});
  expect_bad(R"({"prompt": "hi", "id": ["x"]})", 14, {"id"});
  expect_bad(R"({"prompt": "hi", "max_token": 5})", 15, {"unknown field", "max_token"});
  expect_bad(R"({"prompt": "hi", "Temperature": 1})", 15, {"Temperature"});
}

TEST_CASE("read_requests: blank lines skipped, CRLF, line numbers, errors", "[request]") {
  ut::TempDir dir;
  const auto path = dir / "req.jsonl";

  ut::write_file(path, "{\"prompt\": \"a\"}\r\n\r\n   \n\t\n{\"prompt\": \"b\\r\", \"id\": 9}\r\n"
                       "{\"prompt\": \"c\"}");
  const std::vector<Request> rs = read_requests(path);
  REQUIRE(rs.size() == 3);
  CHECK(rs[0].prompt == "a");
  CHECK(rs[0].id == "line-1");
  CHECK(rs[1].prompt == "b\r");  // an escaped \r inside the JSON string is kept
  CHECK(rs[1].line == 5);
  CHECK(rs[1].id == 9);
  CHECK(rs[2].line == 6);
  CHECK(rs[2].id == "line-6");

  // The first bad line is reported with the file's own name and its line number.
  ut::write_file(path, "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\", \"top_p\": 0}\n{oops\n");
  const std::string msg = read_error(path);
  CAPTURE(msg);
  CHECK(msg.find(path.string() + ":3:") != std::string::npos);
  CHECK(msg.find("top_p") != std::string::npos);

  ut::write_file(path, "");
  CHECK(read_error(path).find(path.string()) != std::string::npos);
  CHECK(read_error(path) != "(no InputError)");
  ut::write_file(path, "\n  \r\n\n");
  CHECK(read_error(path) != "(no InputError)");
  CHECK(read_error(dir / "absent.jsonl").find("absent.jsonl") != std::string::npos);
}

}  // namespace strata::cli
