#include "tests/tokenizer/handmade_tokenizers.h"

#include <cstdio>
#include <utility>

#include "engine/tokenizer/byte_unicode.h"

namespace strata::test {
namespace {

using Json = nlohmann::ordered_json;
using Pairs = std::vector<std::pair<std::string, std::string>>;
const std::string kMeta = "\xE2\x96\x81";  // ▁

// A BPE model: `base` tokens in id order, then every merge's result not yet in the vocab, then
// `extra` (tokens no merge reaches, for ignore_merges).
Json bpe_model(const std::vector<std::string>& base, const Pairs& merges, bool merges_as_pairs,
               const std::vector<std::string>& extra = {}) {
  Json vocab = Json::object();
  auto add = [&](const std::string& token) {
    if (!vocab.contains(token)) vocab[token] = vocab.size();
  };
  for (const auto& token : base) add(token);
  Json merge_list = Json::array();
  for (const auto& [left, right] : merges) {
    add(left + right);
    merge_list.push_back(merges_as_pairs ? Json::array({left, right}) : Json(left + " " + right));
  }
  for (const auto& token : extra) add(token);
  return {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", nullptr},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", false},
          {"byte_fallback", false},
          {"vocab", vocab},
          {"merges", merge_list}};
}

Json added_token(const std::string& content, int id, bool special, bool normalized,
                 bool lstrip = false, bool rstrip = false, bool single_word = false) {
  return {{"id", id},          {"content", content}, {"single_word", single_word},
          {"lstrip", lstrip},  {"rstrip", rstrip},   {"normalized", normalized},
          {"special", special}};
}

Json template_processing(const std::vector<std::pair<std::string, int>>& before,
                         const std::vector<std::pair<std::string, int>>& after) {
  Json single = Json::array(), specials = Json::object();
  auto add = [&](const std::pair<std::string, int>& token) {
    single.push_back({{"SpecialToken", {{"id", token.first}, {"type_id", 0}}}});
    specials[token.first] = {
        {"id", token.first}, {"ids", {token.second}}, {"tokens", {token.first}}};
  };
  for (const auto& token : before) add(token);
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  for (const auto& token : after) add(token);
  return {{"type", "TemplateProcessing"},
          {"single", single},
          {"pair", single},
          {"special_tokens", specials}};
}

Json file(Json normalizer, Json pre_tokenizer, Json model, Json added, Json post, Json decoder) {
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", std::move(added)},
          {"normalizer", std::move(normalizer)},
          {"pre_tokenizer", std::move(pre_tokenizer)},
          {"post_processor", std::move(post)},
          {"decoder", std::move(decoder)},
          {"model", std::move(model)}};
}

// <unk>, <s>, </s>, the 256 "<0xXX>" tokens, "▁" and printable ASCII: a SentencePiece-like base.
std::vector<std::string> metaspace_base() {
  std::vector<std::string> base = {"<unk>", "<s>", "</s>"};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    base.emplace_back(name);
  }
  base.push_back(kMeta);
  for (char c = '!'; c <= '~'; ++c) base.emplace_back(1, c);
  return base;
}

Pairs metaspace_merges() {
  const std::string m = kMeta;
  return {{m, "t"},      {"h", "e"},    {m + "t", "he"}, {"i", "n"},      {m, "a"},
          {"e", "r"},    {"o", "n"},    {m, "w"},        {"o", "r"},      {"l", "l"},
          {"H", "e"},    {"He", "ll"},  {"Hell", "o"},   {m, "Hello"},    {"w", "or"},
          {"wor", "l"},  {"worl", "d"}, {m, "world"},    {m, m},          {m + m, m + m},
          {m, "s"},      {"a", "n"},    {m + "a", "n"},  {m + "an", "d"}, {"1", "2"},
          {"h", "ello"}, {"e", "ll"},   {"ell", "o"},    {m, "hello"}};
}

}  // namespace

HandmadeTokenizer llama2_style_tokenizer() {
  Json model = bpe_model(metaspace_base(), metaspace_merges(), /*merges_as_pairs=*/false);
  model["unk_token"] = "<unk>";
  model["fuse_unk"] = true;
  model["byte_fallback"] = true;
  const int next = int(model["vocab"].size());
  const Json added = {added_token("<unk>", 0, true, false),
                      added_token("<s>", 1, true, false),
                      added_token("</s>", 2, true, false),
                      added_token("<tool>", next, false, false, /*lstrip=*/true, /*rstrip=*/true),
                      added_token("hello world", next + 1, false, /*normalized=*/true),
                      added_token("[sw]", next + 2, true, false, false, false, /*single=*/true)};
  const Json normalizer = {
      {"type", "Sequence"},
      {"normalizers",
       {{{"type", "Prepend"}, {"prepend", kMeta}},
        {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMeta}}}}};
  const Json decoder = {{"type", "Sequence"},
                        {"decoders",
                         {{{"type", "Replace"}, {"pattern", {{"String", kMeta}}}, {"content", " "}},
                          {{"type", "ByteFallback"}},
                          {{"type", "Fuse"}},
                          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  return {"llama2_style",
          file(normalizer, nullptr, model, added, template_processing({{"<s>", 1}}, {}), decoder)};
}

std::vector<HandmadeTokenizer> metaspace_tokenizers() {
  const Json specials = {added_token("<unk>", 0, true, false), added_token("<s>", 1, true, false),
                         added_token("</s>", 2, true, false)};
  auto metaspace = [](const std::string& scheme, bool split) {
    return Json{{"type", "Metaspace"},
                {"replacement", kMeta},
                {"prepend_scheme", scheme},
                {"split", split}};
  };
  std::vector<HandmadeTokenizer> out;
  {  // SentencePiece-like, unknown characters fused into one unk
    Json model = bpe_model(metaspace_base(), metaspace_merges(), /*merges_as_pairs=*/true);
    model["unk_token"] = "<unk>";
    model["fuse_unk"] = true;
    Json added = specials;
    added.push_back(added_token("<tool>", int(model["vocab"].size()), false, false, true, true));
    const Json decoder = {{"type", "Sequence"},
                          {"decoders", {metaspace("first", true), {{"type", "Fuse"}}}}};
    out.push_back(
        {"metaspace_first", file(nullptr, metaspace("first", true), model, added,
                                 template_processing({{"<s>", 1}}, {{"</s>", 2}}), decoder)});
  }
  {  // every stretch prefixed, not split: one word per stretch; unks not fused
    Json model = bpe_model(metaspace_base(), metaspace_merges(), true);
    model["unk_token"] = "<unk>";
    const Json post = {{"type", "BertProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 1}}};
    out.push_back({"metaspace_always_unsplit", file(nullptr, metaspace("always", false), model,
                                                    specials, post, metaspace("always", true))});
  }
  {  // no prefix, no unk token, no byte fallback: characters outside the vocab vanish
    Json model = bpe_model(metaspace_base(), metaspace_merges(), true);
    out.push_back({"metaspace_never_no_unk", file(nullptr, metaspace("never", true), model,
                                                  specials, nullptr, metaspace("never", true))});
  }
  return out;
}

std::vector<HandmadeTokenizer> byte_level_tokenizers() {
  std::vector<std::string> base;
  for (int b = 0; b < 256; ++b) base.push_back(byte_symbol(uint8_t(b)));
  // "Ġ" is a space, "Ċ" a newline. "ab a" before "a b": on "abab" HF merges a+b, then ab+a
  // (the new, better pair) before the second a+b; GPT-2's batched loop would give ab, ab.
  const Pairs merges = {{"ab", "a"},
                        {"a", "b"},
                        {"\xC4\xA0", "t"},
                        {"h", "e"},
                        {"\xC4\xA0t", "he"},
                        {"i", "n"},
                        {"\xC4\xA0", "w"},
                        {"o", "r"},
                        {"l", "l"},
                        {"H", "e"},
                        {"He", "ll"},
                        {"Hell", "o"},
                        {"\xC4\xA0w", "or"},
                        {"\xC4\xA0wor", "l"},
                        {"\xC4\xA0worl", "d"},
                        {"\xC4\xA0", "\xC4\xA0"},
                        {"\xC4\xA0\xC4\xA0", "\xC4\xA0\xC4\xA0"},
                        {"\xC4\x8A", "\xC4\x8A"},
                        {"1", "2"},
                        {"12", "3"},
                        // Across the Split delimiters, so that the behaviours differ in ids.
                        {"o", ","},
                        {"d", "!"},
                        {"e", "\xC4\xA0"},
                        {",", "\xC4\xA0"}};
  // Reached by no merge: only ignore_merges can produce "Ġquick".
  const std::vector<std::string> extra = {"\xC4\xA0quick"};
  Json model = bpe_model(base, merges, /*merges_as_pairs=*/true, extra);
  model["ignore_merges"] = true;
  const int next = int(model["vocab"].size());
  const Json added = {added_token("<|bos|>", next, true, false),
                      added_token("<|eos|>", next + 1, true, false),
                      added_token("<|user|>", next + 2, true, false, true, true),
                      added_token("[sw]", next + 3, false, false, false, false, true),
                      added_token("Hello there", next + 4, false, true)};
  const Json template_post = {
      {"type", "Sequence"},
      {"processors",
       {{{"type", "ByteLevel"},
         {"add_prefix_space", true},
         {"trim_offsets", false},
         {"use_regex", true}},
        template_processing({{"<|bos|>", next}}, {{"<|eos|>", next + 1}})}}};
  const Json byte_level_decoder = {{"type", "ByteLevel"},
                                   {"add_prefix_space", true},
                                   {"trim_offsets", true},
                                   {"use_regex", true}};
  auto byte_level = [](bool prefix, bool regex) {
    return Json{{"type", "ByteLevel"},
                {"add_prefix_space", prefix},
                {"trim_offsets", true},
                {"use_regex", regex}};
  };
  auto split_then_bytes = [&](Json pattern, const std::string& behavior, bool invert) {
    return Json{{"type", "Sequence"},
                {"pretokenizers",
                 {{{"type", "Split"},
                   {"pattern", std::move(pattern)},
                   {"behavior", behavior},
                   {"invert", invert}},
                  byte_level(false, false)}}};
  };
  const std::string llama3_regex =  // as in Llama 3's tokenizer.json
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|)"
      R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const Json normalizer = {
      {"type", "Sequence"},
      {"normalizers",
       {{{"type", "NFKC"}},
        {{"type", "Replace"}, {"pattern", {{"Regex", "[0-9]{5,}"}}}, {"content", "#"}}}}};

  std::vector<HandmadeTokenizer> out;
  out.push_back({"byte_level_split",
                 file(normalizer, split_then_bytes({{"Regex", llama3_regex}}, "Isolated", false),
                      model, added, template_post, byte_level_decoder)});
  const Json roberta = {{"type", "RobertaProcessing"},
                        {"sep", {"<|eos|>", next + 1}},
                        {"cls", {"<|bos|>", next}},
                        {"trim_offsets", true},
                        {"add_prefix_space", true}};
  out.push_back(
      {"byte_level_gpt2", file(nullptr, byte_level(true, true), model, added, roberta, nullptr)});
  const Json punctuation = {{"Regex", R"(\s+|[,.!?'])"}};
  for (const std::string behavior :
       {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"}) {
    out.push_back(
        {"split_" + behavior, file(nullptr, split_then_bytes(punctuation, behavior, false), model,
                                   added, nullptr, byte_level_decoder)});
  }
  out.push_back(
      {"split_inverted", file(nullptr, split_then_bytes(punctuation, "MergedWithNext", true), model,
                              added, nullptr, byte_level_decoder)});
  // "o*" matches the empty string between other characters: onig's rule for empty matches.
  out.push_back(
      {"split_empty_matches", file(nullptr, split_then_bytes({{"Regex", "o*"}}, "Isolated", false),
                                   model, added, nullptr, byte_level_decoder)});
  out.push_back(
      {"split_literal", file(nullptr, split_then_bytes({{"String", "l"}}, "Contiguous", false),
                             model, added, nullptr, byte_level_decoder)});
  return out;
}

std::vector<std::string> handmade_texts() {
  return {"abab",
          "ab abab ababab",
          " quick quick  quick",
          "Hello there, Hello  there",
          "hello world and hello  world",
          "x <tool>  y<tool>z   <tool>",
          "<tool>",
          "a[sw]b a [sw] b [sw] [sw]x \xC3\xA9[sw]",
          "<|user|>  hi <|user|>",
          "<|bos|><|eos|>",
          "<s>Hello</s> <s> the world",
          "123 12 1234567 12345",
          "\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F",  // fullwidth: NFKC
          "unknown \xE2\x98\x83\xE2\x98\x83 snowmen and \xF0\x9F\x98\x80!"};
}

std::vector<std::string> handmade_tokens() {
  return {"<s>",     "</s>",    "<unk>",    "<tool>",      "hello world",   "[sw]",
          "<|bos|>", "<|eos|>", "<|user|>", "Hello there", "\xC4\xA0quick", "not a token"};
}

}  // namespace strata::test
