// OpenAI's logprobs, in and out. In: which logprobs a body asks for, as SequenceRequest::logprobs
// takes them (engine/generate/token_logprobs.h says which distribution). Out: choices[].logprobs
// as OpenAI writes them, one entry per generated token (completion_tokens of them, an eos that
// ended the sequence included, as vLLM does):
//   /v1/completions (openai-python's completion_choice.Logprobs): {"tokens": [str],
//     "token_logprobs": [float], "top_logprobs": [{token: logprob}], "text_offset": [int]}, each
//     top_logprobs object the k most likely tokens and the chosen one (up to k + 1 entries);
//   /v1/chat/completions (ChoiceLogprobs): {"content": [{"token", "logprob", "bytes": [int],
//     "top_logprobs": [{"token", "logprob", "bytes"}]}], "refusal": null}, top_logprobs the k
//     most likely tokens.
// A token's string is the token decoded alone, special tokens as their text (vLLM's); `bytes`
// are its raw bytes, so a token holding part of a UTF-8 character keeps them while its string
// shows U+FFFD. A logprob of -inf is written -9999.0, as vLLM writes it (JSON has no -inf).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/generate/generator.h"
#include "engine/tokenizer/tokenizer.h"

namespace strata::cli {

// OpenAI's bounds: /v1/completions "logprobs" 0..5 (vLLM allows 20), chat "top_logprobs" 0..20.
constexpr int64_t kMaxCompletionLogprobs = 5;
constexpr int64_t kMaxChatTopLogprobs = 20;

// nullopt when the body asks for no logprobs; else how many most likely tokens each step
// reports. /v1/completions: "logprobs" null or an integer 0..5. Chat: "logprobs" null or a
// boolean, "top_logprobs" null or an integer 0..20, above 0 only with "logprobs": true (OpenAI's
// rule, and vLLM's). Throws InputError "WHERE: field 'body.logprobs': ..." naming the field.
std::optional<int32_t> read_logprobs(const nlohmann::json& body, bool chat,
                                     const std::string& where);

// choices[].logprobs of a finished choice whose request asked for logprobs.
nlohmann::ordered_json completion_logprobs(const SequenceResult& result, const Tokenizer& tokenizer);
nlohmann::ordered_json chat_logprobs(const SequenceResult& result, const Tokenizer& tokenizer);

}  // namespace strata::cli
