#include "engine/tokenizer/hf_pre_tokenizer.h"

#include <array>
#include <functional>

#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/hf_pattern.h"
#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

constexpr std::string_view kSupported = "ByteLevel, Metaspace, Sequence, Split";

// pre_tokenizers/byte_level.rs's regex: GPT-2's pattern, in Oniguruma syntax like a file's own.
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Replaces every piece by the non-empty pieces that `split` cuts it into; only the first of them
// can still be at the start of the text.
void split_each(std::vector<PreToken>& pieces,
                const std::function<std::vector<TextSpan>(std::string_view)>& split) {
  std::vector<PreToken> out;
  out.reserve(pieces.size());
  for (PreToken& piece : pieces) {
    for (const TextSpan& span : split(piece.text)) {
      if (span.begin == span.end) continue;
      out.push_back({piece.text.substr(span.begin, span.end - span.begin),
                     piece.at_text_start && span.begin == 0});
    }
  }
  pieces = std::move(out);
}

class Split final : public HfPreTokenizer {
 public:
  explicit Split(const JsonField& field)
      : pattern_(HfPattern::parse(field["pattern"])),
        behavior_(parse_split_behavior(field["behavior"])),
        invert_(field.boolean_or("invert", false)) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    split_each(pieces, [&](std::string_view text) {
      return split_text(text, pattern_, behavior_, invert_);
    });
  }

 private:
  HfPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevel final : public HfPreTokenizer {
 public:
  explicit ByteLevel(const JsonField& field)
      : add_prefix_space_(field.boolean_or("add_prefix_space", true)) {
    if (field.boolean_or("use_regex", true)) {
      std::string error;
      gpt2_ = Regex::compile(onig_to_pcre2(kGpt2Regex), error);
      STRATA_CHECK(gpt2_.has_value(), "GPT-2's pattern does not compile: ", error);
    }
    for (int b = 0; b < 256; ++b) symbols_[b] = byte_symbol(uint8_t(b));
  }

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_) {
      for (PreToken& piece : pieces) {
        if (piece.text.front() != ' ') piece.text = " " + piece.text;
      }
    }
    if (gpt2_) {
      split_each(pieces, [&](std::string_view text) { return split_text_isolated(text); });
    }
    // Every byte becomes its symbol, so the model sees printable characters only.
    for (PreToken& piece : pieces) {
      std::string symbols;
      symbols.reserve(piece.text.size() * 2);
      for (const char c : piece.text) symbols += symbols_[static_cast<unsigned char>(c)];
      piece.text = std::move(symbols);
    }
  }

 private:
  std::vector<TextSpan> split_text_isolated(std::string_view text) const {
    std::vector<TextSpan> spans;
    size_t previous = 0;
    for (const TextSpan& match : gpt2_->find_all(text)) {
      if (match.begin > previous) spans.push_back({previous, match.begin});
      spans.push_back(match);
      previous = match.end;
    }
    if (previous < text.size()) spans.push_back({previous, text.size()});
    return spans;
  }

  bool add_prefix_space_;
  std::optional<Regex> gpt2_;
  std::array<std::string, 256> symbols_;
};

class Metaspace final : public HfPreTokenizer {
 public:
  enum class Prepend { always, first, never };

  explicit Metaspace(const JsonField& field) {
    std::string replacement;
    utf8_append(replacement, field.one_char("replacement"));
    replacement_ = HfPattern::literal(replacement);
    replacement_text_ = replacement;
    const JsonField scheme = field["prepend_scheme"];
    const std::string name = scheme.is_null() ? "always" : scheme.string();
    if (name == "always") {
      prepend_ = Prepend::always;
    } else if (name == "first") {
      prepend_ = Prepend::first;
    } else if (name == "never") {
      prepend_ = Prepend::never;
    } else {
      scheme.fail("\"", name, "\" is not supported (supported: always, first, never)");
    }
    // Files written before prepend_scheme existed say add_prefix_space: false for "never".
    if (!field.boolean_or("add_prefix_space", true)) prepend_ = Prepend::never;
    split_ = field.boolean_or("split", true);
  }

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    static const HfPattern kSpace = HfPattern::literal(" ");
    for (PreToken& piece : pieces) {
      piece.text = kSpace.replace_all(piece.text, replacement_text_);
      const bool starts = piece.text.starts_with(replacement_text_);
      if (!starts &&
          (prepend_ == Prepend::always || (prepend_ == Prepend::first && piece.at_text_start))) {
        piece.text = replacement_text_ + piece.text;
      }
    }
    if (!split_) return;
    split_each(pieces, [&](std::string_view text) {
      return split_text(text, replacement_, SplitBehavior::merged_with_next, false);
    });
  }

 private:
  HfPattern replacement_ = HfPattern::literal("");
  std::string replacement_text_;
  Prepend prepend_ = Prepend::always;
  bool split_ = true;
};

class Sequence final : public HfPreTokenizer {
 public:
  explicit Sequence(const JsonField& field) {
    const JsonField list = field["pretokenizers"];
    for (size_t i = 0; i < list.array_size(); ++i) {
      if (auto step = parse_pre_tokenizer(list[i])) steps_.push_back(std::move(step));
    }
  }
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<const HfPreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<const HfPreTokenizer> parse_pre_tokenizer(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field.type();
  if (type == "Split") return std::make_unique<Split>(field);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(field);
  if (type == "Metaspace") return std::make_unique<Metaspace>(field);
  if (type == "Sequence") return std::make_unique<Sequence>(field);
  field.unsupported_type(kSupported);
}

}  // namespace strata
