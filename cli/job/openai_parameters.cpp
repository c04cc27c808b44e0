#include "cli/job/openai_parameters.h"

#include <algorithm>
#include <string_view>

namespace strata::cli {
namespace {

enum class Endpoint { both, chat, completions };

// One body parameter of OpenAI's /v1/completions and /v1/chat/completions (openai-python's
// CompletionCreateParams and CompletionCreateParams for chat). `neutral` is null for a
// parameter that is implemented or harmless (any value passes here), or a JSON array of the
// values that ask for nothing Strata lacks.
struct Parameter {
  std::string_view name;
  Endpoint endpoint;
  const char* neutral;
};

constexpr Parameter kParameters[] = {
    // Implemented: validated by parse_openai_request and parse_request_fields.
    {"prompt", Endpoint::completions, nullptr},
    {"messages", Endpoint::chat, nullptr},
    {"max_tokens", Endpoint::both, nullptr},
    {"max_completion_tokens", Endpoint::both, nullptr},
    {"temperature", Endpoint::both, nullptr},
    {"top_p", Endpoint::both, nullptr},
    {"top_k", Endpoint::both, nullptr},  // vLLM's extension
    {"stop", Endpoint::both, nullptr},
    {"seed", Endpoint::both, nullptr},
    {"n", Endpoint::both, nullptr},
    {"presence_penalty", Endpoint::both, nullptr},
    {"frequency_penalty", Endpoint::both, nullptr},
    {"chat_template_kwargs", Endpoint::chat, nullptr},  // vLLM's extension
    {"logprobs", Endpoint::both, nullptr},  // cli/job/openai_logprobs.h
    {"top_logprobs", Endpoint::chat, nullptr},
    // Harmless: bookkeeping that cannot change the tokens.
    {"model", Endpoint::both, nullptr},
    {"user", Endpoint::both, nullptr},
    {"metadata", Endpoint::both, nullptr},
    {"store", Endpoint::both, nullptr},
    {"service_tier", Endpoint::both, nullptr},
    {"stream_options", Endpoint::both, nullptr},
    {"parallel_tool_calls", Endpoint::chat, nullptr},  // only matters with tools, refused below
    {"safety_identifier", Endpoint::both, nullptr},
    {"prompt_cache_key", Endpoint::both, nullptr},
    // Not implemented: refused unless neutral.
    {"stream", Endpoint::both, "[null, false]"},
    {"logit_bias", Endpoint::both, "[null, {}]"},
    {"response_format", Endpoint::chat, R"([null, {"type": "text"}])"},
    {"tools", Endpoint::chat, "[null, []]"},
    {"tool_choice", Endpoint::chat, R"([null, "none", "auto"])"},
    {"functions", Endpoint::chat, "[null, []]"},
    {"function_call", Endpoint::chat, R"([null, "none", "auto"])"},
    {"modalities", Endpoint::chat, R"([null, ["text"]])"},
    {"audio", Endpoint::chat, "[null]"},
    {"prediction", Endpoint::chat, "[null]"},
    {"reasoning_effort", Endpoint::chat, "[null]"},
    {"verbosity", Endpoint::chat, "[null]"},
    {"web_search_options", Endpoint::chat, "[null]"},
    {"echo", Endpoint::completions, "[null, false]"},
    {"suffix", Endpoint::completions, R"([null, ""])"},
    {"best_of", Endpoint::completions, "[null, 1]"},
};

bool serves(Endpoint e, bool chat) {
  return e == Endpoint::both || (e == Endpoint::chat) == chat;
}

const Parameter* find_parameter(std::string_view name, bool chat) {
  for (const Parameter& p : kParameters) {
    if (p.name == name && serves(p.endpoint, chat)) return &p;
  }
  return nullptr;
}

// "null, false or {}": the neutral values as the message lists them.
std::string listed(const nlohmann::json& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i].dump();
  }
  return out;
}

// A value as the message shows it: short, so the error stays one readable line.
std::string shown(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

}  // namespace

void refuse_unsupported_parameters(const nlohmann::json& body, bool chat,
                                   const std::string& where) {
  const char* endpoint = chat ? "/v1/chat/completions" : "/v1/completions";
  for (const auto& [key, value] : body.items()) {
    const Parameter* p = find_parameter(key, chat);
    if (p == nullptr) {
      throw UnsupportedParameter(str_cat(where, ": field 'body.", key, "': not a ", endpoint,
                                         " parameter that Strata knows; this request is not run"));
    }
    if (p->neutral == nullptr) continue;
    const nlohmann::json neutral = nlohmann::json::parse(p->neutral);
    if (std::find(neutral.begin(), neutral.end(), value) != neutral.end()) continue;
    throw UnsupportedParameter(str_cat(where, ": field 'body.", key, "': not supported by Strata "
                                       "(accepted: ", listed(neutral), "), got ", shown(value),
                                       "; this request is not run"));
  }
}

}  // namespace strata::cli
