// parse_openai_request and parse_requests over OpenAI Batch lines: n, prompt arrays, penalties
// and logprobs are read; parameters Strata does not implement are refused (UnsupportedParameter,
// error code "unsupported_parameter") unless neutral, harmless ones are accepted; the output
// lines of OpenAiResponder have OpenAI's fields and fresh ids, and logprobs in OpenAI's shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

#include "cli/job/openai_batch.h"
#include "cli/job/openai_parameters.h"
#include "cli/job/openai_response.h"
#include "cli/job/request.h"

namespace strata::cli {
namespace {

nlohmann::json line_with(const char* url, nlohmann::json body) {
  return {{"custom_id", "q"}, {"method", "POST"}, {"url", url}, {"body", std::move(body)}};
}

Request parse_line(const nlohmann::json& line) {
  return parse_openai_request(line, nlohmann::ordered_json(line), "b.jsonl:2", 2);
}

Request completion(nlohmann::json body) {
  return parse_line(line_with("/v1/completions", std::move(body)));
}

Request chat(nlohmann::json body) {
  body["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}});
  return parse_line(line_with("/v1/chat/completions", std::move(body)));
}

// Token i decodes to kTokenText[i]; token 3 is half of "é" (0xC3 0xA9), token 4 the other half.
const char* const kTokenText[] = {"<s>", " a", "b", "\xC3", "\xA9", " a"};

class ListTokenizer final : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view, AddSpecialTokens) const override { return {}; }
  std::string decode(std::span<const int32_t> ids, bool) const override {
    std::string out;
    for (const int32_t id : ids) out += kTokenText[id];
    return out;
  }
  size_t vocab_size() const override { return std::size(kTokenText); }
  std::optional<int32_t> token_id(std::string_view) const override { return std::nullopt; }
  bool adds_special_tokens() const override { return false; }
};

// The message of the UnsupportedParameter a body raises, or "" when it raises none.
std::string refusal(bool is_chat, const nlohmann::json& body) {
  try {
    if (is_chat) {
      chat(body);
    } else {
      nlohmann::json b = body;
      b["prompt"] = "x";
      completion(b);
    }
  } catch (const UnsupportedParameter& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("OpenAI bodies: n, prompt arrays, penalties and harmless parameters", "[openai]") {
  const Request one = completion({{"prompt", "hello"}, {"model", "m"}, {"user", "u"}});
  CHECK(one.n == 1);
  CHECK(one.prompts == std::vector<std::string>{"hello"});
  CHECK_FALSE(one.presence_penalty.has_value());

  const Request many = completion({{"prompt", {"a", "b", "c"}}, {"n", 2},
                                   {"presence_penalty", 0.5}, {"frequency_penalty", -1.5},
                                   {"stop", {"x", "y"}}, {"seed", 9}, {"metadata", {{"k", "v"}}},
                                   {"stream", false}, {"logprobs", nullptr}, {"best_of", 1},
                                   {"echo", false}, {"suffix", nullptr}, {"logit_bias", {}}});
  CHECK(many.n == 2);
  CHECK(many.prompts == std::vector<std::string>{"a", "b", "c"});
  CHECK(many.presence_penalty == 0.5f);
  CHECK(many.frequency_penalty == -1.5f);
  CHECK(many.stop == std::vector<std::string>{"x", "y"});
  CHECK(many.seed == 9u);

  const Request c = chat({{"n", 3}, {"max_completion_tokens", 7}, {"logprobs", false},
                          {"response_format", {{"type", "text"}}}, {"tool_choice", "none"},
                          {"tools", nlohmann::json::array()}, {"stream_options", nullptr},
                          {"store", false}, {"service_tier", "auto"}});
  CHECK(c.n == 3);
  CHECK(c.max_tokens == 7);
  CHECK(c.prompts.empty());
}

TEST_CASE("OpenAI bodies: what Strata does not implement is refused, naming the field",
          "[openai]") {
  // (chat?, body) as JSON text.
  const std::pair<bool, const char*> refused[] = {
      {true, R"({"response_format": {"type": "json_object"}})"},
      {true, R"({"tools": [{"type": "function", "function": {"name": "f"}}]})"},
      {true, R"({"tool_choice": "required"})"},
      {true, R"({"logit_bias": {"50256": -100}})"},
      {true, R"({"stream": true})"},
      {true, R"({"reasoning_effort": "low"})"},
      {true, R"({"min_p": 0.1})"},   // vLLM's, not implemented
      {true, R"({"echo": true})"},   // a completions parameter, not chat's
      {false, R"({"echo": true})"},
      {false, R"({"best_of": 3})"},
      {false, R"({"suffix": "end"})"},
      {false, R"({"logit_bias": {"1": 5}})"},
      {false, R"({"messages": []})"},  // a chat parameter
      {false, R"({"repetition_penalty": 1.2})"},
  };
  for (const auto& [is_chat, text] : refused) {
    const nlohmann::json body = nlohmann::json::parse(text);
    const std::string field = body.begin().key();
    CAPTURE(is_chat, text);
    const std::string msg = refusal(is_chat, body);
    CHECK(msg.rfind("b.jsonl:2: field 'body." + field + "'", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
  // Token-id prompts are OpenAI's but not Strata's.
  CHECK_THROWS_AS(completion({{"prompt", {1, 2, 3}}}), UnsupportedParameter);
  CHECK_THROWS_AS(completion({{"prompt", {{1, 2}, {3}}}}), UnsupportedParameter);
}

TEST_CASE("OpenAI bodies: bad n, prompt arrays and penalties are invalid requests", "[openai]") {
  const nlohmann::json bad[] = {
      {{"prompt", "x"}, {"n", 0}},
      {{"prompt", "x"}, {"n", 129}},
      {{"prompt", "x"}, {"n", 1.5}},
      {{"prompt", nlohmann::json::array()}},
      {{"prompt", {"a", 5}}},
      {{"prompt", "x"}, {"presence_penalty", 2.5}},
      {{"prompt", "x"}, {"frequency_penalty", "high"}},
  };
  for (const auto& body : bad) {
    CAPTURE(body.dump());
    try {
      completion(body);
      FAIL("no InputError");
    } catch (const UnsupportedParameter&) {
      FAIL("an invalid value is not an unsupported parameter");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).rfind("b.jsonl:2", 0) == 0);
    }
  }
}

TEST_CASE("parse_requests gives refused and bad OpenAI lines their error codes", "[openai]") {
  const std::string file =
      R"({"custom_id": "a", "url": "/v1/completions", "body": {"prompt": "x"}})" "\n"
      R"({"custom_id": "b", "url": "/v1/completions", "body": {"prompt": "x", "logit_bias": {"1": 2}}})" "\n"
      R"({"custom_id": "c", "url": "/v1/completions", "body": {"prompt": "x", "n": 0}})" "\n";
  const std::vector<Request> rs = parse_requests(file, "b.jsonl", BadLines::report);
  REQUIRE(rs.size() == 3);
  CHECK(rs[0].error.empty());
  CHECK(rs[1].error_code == "unsupported_parameter");
  CHECK(rs[1].error.find("logit_bias") != std::string::npos);
  CHECK(rs[2].error_code == "invalid_request");
  CHECK(rs[2].error.find("'body.n'") != std::string::npos);
}

TEST_CASE("OpenAiResponder writes OpenAI's fields with fresh ids", "[openai]") {
  const ListTokenizer tokenizer;
  OpenAiResponder responder("tiny", system_fingerprint("model|none"), tokenizer);
  Request r = chat({{"n", 2}});
  SequenceResult a, b;
  a.text = "yes";
  a.token_ids = {5, 6};
  a.finish_reason = FinishReason::stop;
  b.text = "no";
  b.token_ids = {7};
  const std::vector<SequenceResult> choices = {a, b};
  const nlohmann::ordered_json line = responder.result_line(r, 4, choices);
  const auto& body = line["response"]["body"];
  CHECK(line["id"].get<std::string>().rfind("batch_req_", 0) == 0);
  CHECK(line["id"].get<std::string>().size() == 10 + 32);
  CHECK(line["error"].is_null());
  CHECK(body["object"] == "chat.completion");
  CHECK(body["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
  CHECK(body["created"].is_number_integer());
  CHECK(body["system_fingerprint"].get<std::string>().rfind("fp_", 0) == 0);
  REQUIRE(body["choices"].size() == 2);
  CHECK(body["choices"][1]["index"] == 1);
  CHECK(body["choices"][0]["message"]["refusal"].is_null());
  CHECK(body["choices"][0]["logprobs"].is_null());
  CHECK(body["choices"][0]["finish_reason"] == "stop");
  CHECK(body["choices"][1]["finish_reason"] == "length");
  CHECK(body["usage"]["completion_tokens"] == 3);
  CHECK(body["usage"]["total_tokens"] == 7);

  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(responder.error_line(r, "bad", "")["id"]);
  CHECK(ids.size() == 100);
  const nlohmann::ordered_json err = responder.error_line(r, "bad", "unsupported_parameter");
  CHECK(err["response"].is_null());
  CHECK(err["error"]["code"] == "unsupported_parameter");
  CHECK(responder.error_line(r, "bad", "")["error"]["code"] == "invalid_request");
}

TEST_CASE("Chat messages and template kwargs keep the file's key order", "[openai]") {
  // Sorted, these keys would come out content, name, role and alpha, zeta: a template's tojson
  // must write them as the client sent them, as transformers does.
  const std::string file =
      R"({"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": )"
      R"({"messages": [{"role": "user", "name": "ann", "content": "hi"}], )"
      R"("chat_template_kwargs": {"zeta": 1, "alpha": {"y": 2, "b": 3}}}})"
      "\n";
  const std::vector<Request> rs = parse_requests(file, "b.jsonl", BadLines::fail);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].messages.dump() == R"([{"role":"user","name":"ann","content":"hi"}])");
  CHECK(rs[0].chat_template_kwargs.dump() == R"({"zeta":1,"alpha":{"y":2,"b":3}})");
}

}  // namespace strata::cli

namespace strata::cli {

TEST_CASE("OpenAI bodies: logprobs and top_logprobs within OpenAI's bounds", "[openai]") {
  CHECK_FALSE(completion({{"prompt", "x"}}).logprobs.has_value());
  CHECK_FALSE(completion({{"prompt", "x"}, {"logprobs", nullptr}}).logprobs.has_value());
  CHECK(completion({{"prompt", "x"}, {"logprobs", 0}}).logprobs == 0);
  CHECK(completion({{"prompt", "x"}, {"logprobs", 5}}).logprobs == 5);
  CHECK_FALSE(chat({{"logprobs", false}}).logprobs.has_value());
  CHECK_FALSE(chat({{"logprobs", false}, {"top_logprobs", 0}}).logprobs.has_value());
  CHECK(chat({{"logprobs", true}}).logprobs == 0);
  CHECK(chat({{"logprobs", true}, {"top_logprobs", 20}}).logprobs == 20);
  // (chat?, body, the field the message names)
  const std::tuple<bool, const char*, const char*> bad[] = {
      {false, R"({"logprobs": 6})", "logprobs"},
      {false, R"({"logprobs": -1})", "logprobs"},
      {false, R"({"logprobs": true})", "logprobs"},
      {false, R"({"logprobs": 1.5})", "logprobs"},
      {true, R"({"logprobs": 1})", "logprobs"},
      {true, R"({"logprobs": "yes"})", "logprobs"},
      {true, R"({"logprobs": true, "top_logprobs": 21})", "top_logprobs"},
      {true, R"({"logprobs": true, "top_logprobs": -1})", "top_logprobs"},
      {true, R"({"top_logprobs": 3})", "top_logprobs"},  // needs logprobs: true
      {true, R"({"logprobs": false, "top_logprobs": 1})", "top_logprobs"},
  };
  for (const auto& [is_chat, text, field] : bad) {
    CAPTURE(is_chat, text);
    nlohmann::json body = nlohmann::json::parse(text);
    try {
      if (is_chat) {
        chat(body);
      } else {
        body["prompt"] = "x";
        completion(body);
      }
      FAIL("no InputError");
    } catch (const UnsupportedParameter&) {
      FAIL("an invalid value is not an unsupported parameter");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind("b.jsonl:2: field 'body." + std::string(field) + "'", 0) == 0);
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("OpenAiResponder writes logprobs in OpenAI's shapes", "[openai]") {
  const ListTokenizer tokenizer;
  OpenAiResponder responder("tiny", system_fingerprint("model|none"), tokenizer);
  SequenceResult res;
  res.token_ids = {1, 3, 4};
  res.text = " a\xC3\xA9";
  // Step 0: the chosen token is outside the top 2. Step 1: tokens 1 and 5 share the string " a".
  res.logprobs = {{{1, -3.0f}, {{2, -0.5f}, {3, -1.0f}}},
                  {{3, -0.25f}, {{3, -0.25f}, {1, -2.0f}, {5, -2.5f}}},
                  {{4, -INFINITY}, {{0, -0.125f}, {2, -4.0f}}}};
  const std::vector<SequenceResult> one = {res};

  SECTION("not asked: null") {
    CHECK(responder.result_line(chat({}), 1, one)["response"]["body"]["choices"][0]["logprobs"]
              .is_null());
  }
  SECTION("/v1/completions") {
    const Request r = completion({{"prompt", "x"}, {"logprobs", 2}});
    const auto line = responder.result_line(r, 1, one);
    const auto& lp = line["response"]["body"]["choices"][0]["logprobs"];
    CHECK(lp["tokens"] == nlohmann::json({" a", "\xEF\xBF\xBD", "\xEF\xBF\xBD"}));
    CHECK(lp["token_logprobs"] == nlohmann::json({-3.0, -0.25, -9999.0}));
    CHECK(lp["text_offset"] == nlohmann::json({0, 2, 3}));
    REQUIRE(lp["top_logprobs"].size() == 3);
    // The top k and the chosen token, most likely first; a repeated string once, its best.
    CHECK(lp["top_logprobs"][0].dump() == R"({"b":-0.5,")" "\xEF\xBF\xBD" R"(":-1.0," a":-3.0})");
    CHECK(lp["top_logprobs"][1].dump() == R"({")" "\xEF\xBF\xBD" R"(":-0.25," a":-2.0})");
    CHECK(lp["top_logprobs"][2].dump() ==
          R"({"<s>":-0.125,"b":-4.0,")" "\xEF\xBF\xBD" R"(":-9999.0})");
  }
  SECTION("/v1/chat/completions") {
    const Request r = chat({{"logprobs", true}, {"top_logprobs", 2}});
    const auto line = responder.result_line(r, 1, one);
    const auto& lp = line["response"]["body"]["choices"][0]["logprobs"];
    CHECK(lp["refusal"].is_null());
    REQUIRE(lp["content"].size() == 3);
    const auto& first = lp["content"][0];
    CHECK(first["token"] == " a");
    CHECK(first["logprob"] == -3.0);
    CHECK(first["bytes"] == nlohmann::json({32, 97}));
    CHECK(first["top_logprobs"].dump() ==
          R"([{"token":"b","logprob":-0.5,"bytes":[98]},)"
          R"({"token":")" "\xEF\xBF\xBD" R"(","logprob":-1.0,"bytes":[195]}])");
    // Half a character: its raw byte, the string U+FFFD; -inf as -9999.0.
    CHECK(lp["content"][2]["bytes"] == nlohmann::json({169}));
    CHECK(lp["content"][2]["logprob"] == -9999.0);
    CHECK(lp["content"][1]["top_logprobs"].size() == 3);  // as the engine gave them
  }
}

}  // namespace strata::cli
