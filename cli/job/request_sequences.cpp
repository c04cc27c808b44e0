#include "cli/job/request_sequences.h"

#include "common/error.h"

namespace strata::cli {
namespace {

// A request without a seed gets a distinct, reproducible one: SplitMix64 of (seed, line).
uint64_t derive_seed(uint64_t base, int64_t line) {
  SequenceRng rng(base ^ (uint64_t(line) * 0x9e3779b97f4a7c15ull));
  return rng.next();
}

// Choice k > 0 of a request: SplitMix64 of (seed, k), with another odd constant than
// derive_seed's so a choice's stream is not another line's.
uint64_t choice_seed(uint64_t seed, int64_t k) {
  if (k == 0) return seed;
  SequenceRng rng(seed ^ (uint64_t(k) * 0xd1b54a32d192ed03ull));
  return rng.next();
}

}  // namespace

std::vector<SequenceRequest> request_sequences(const Request& r, const RequestDefaults& d,
                                               const ModelSource& model,
                                               const chat::ChatFormatter& chat,
                                               const std::string& file) {
  const std::string where = file + ":" + std::to_string(r.line);
  std::vector<std::vector<int32_t>> prompts;
  if (r.chat && chat.has_template()) {
    // The rendered text holds every special token the template writes (bos included).
    const std::string text = chat.render(r.messages, r.chat_template_kwargs, where);
    prompts.push_back(model.tokenizer().encode(text, AddSpecialTokens::no));
  } else if (r.prompts.empty()) {
    prompts.push_back(model.prompt_ids(r.prompt));
  } else {
    for (const std::string& p : r.prompts) prompts.push_back(model.prompt_ids(p));
  }
  const int64_t limit = model.config().max_positions;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const std::string field = r.prompts.size() > 1 ? "prompt[" + std::to_string(p) + "]" : "prompt";
    if (int64_t(prompts[p].size()) > limit) {
      throw PromptTooLong(str_cat(where, ": field '", field, "': ", prompts[p].size(),
                                  " tokens (bos included) exceed the model's "
                                  "max_position_embeddings ", limit));
    }
  }
  SequenceRequest s;
  s.max_new_tokens = r.max_tokens.value_or(d.max_new_tokens);
  s.sampling.temperature = r.temperature.value_or(d.temperature);
  s.sampling.top_p = r.top_p.value_or(d.top_p);
  s.sampling.top_k = r.top_k.value_or(d.top_k);
  s.sampling.presence_penalty = r.presence_penalty.value_or(0.0f);
  s.sampling.frequency_penalty = r.frequency_penalty.value_or(0.0f);
  s.stop = r.stop;
  s.logprobs = r.logprobs;
  const uint64_t seed = r.seed ? *r.seed : derive_seed(d.seed, r.line);
  std::vector<SequenceRequest> choices;
  for (size_t p = 0; p < prompts.size(); ++p) {
    for (int64_t i = 0; i < r.n; ++i) {
      SequenceRequest c = s;
      c.prompt_ids = prompts[p];
      c.sampling.seed = choice_seed(seed, int64_t(choices.size()));
      choices.push_back(std::move(c));
    }
  }
  return choices;
}

int64_t prompt_tokens(std::span<const SequenceRequest> choices, int64_t n) {
  int64_t total = 0;
  for (size_t k = 0; k < choices.size(); k += size_t(n)) {
    total += int64_t(choices[k].prompt_ids.size());
  }
  return total;
}

}  // namespace strata::cli
