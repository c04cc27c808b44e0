#include "engine/tokenizer/hf_decoder.h"

#include "engine/tokenizer/byte_unicode.h"
#include "engine/tokenizer/hf_pattern.h"
#include "engine/tokenizer/utf8.h"

namespace strata {
namespace {

constexpr std::string_view kSupported =
    "ByteFallback, ByteLevel, Fuse, Metaspace, Replace, Sequence, Strip";

// byte_level.rs: a token made only of byte symbols becomes those bytes; any other token (an added
// token such as "<|im_end|>" with a character outside the alphabet) stays as it is. All tokens
// are then joined into one.
class ByteLevel final : public HfDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) {
      if (const std::optional<std::string> bytes = symbols_only_to_bytes(token)) {
        joined += *bytes;
      } else {
        joined += token;
      }
    }
    tokens.assign(1, std::move(joined));
  }
};

// metaspace.rs: "▁" becomes a space, except in the very first token when a "▁" was prepended
// on encoding, where every "▁" goes.
class Metaspace final : public HfDecoder {
 public:
  explicit Metaspace(const JsonField& field) {
    utf8_append(replacement_, field.one_char("replacement"));
    const std::string scheme = field.string_or("prepend_scheme", "always");
    prepends_ = scheme != "never" && field.boolean_or("add_prefix_space", true);
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    const HfPattern pattern = HfPattern::literal(replacement_);
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = pattern.replace_all(tokens[i], i == 0 && prepends_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool prepends_ = true;
};

class Replace final : public HfDecoder {
 public:
  explicit Replace(const JsonField& field)
      : pattern_(HfPattern::parse(field["pattern"])), content_(field["content"].string()) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = pattern_.replace_all(token, content_);
  }

 private:
  HfPattern pattern_;
  std::string content_;
};

// byte_fallback.rs: a run of "<0xXX>" tokens becomes one token of those bytes.
class ByteFallback final : public HfDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    bool in_bytes = false;
    for (std::string& token : tokens) {
      const int byte = byte_of(token);
      if (byte < 0) {
        out.push_back(std::move(token));
        in_bytes = false;
        continue;
      }
      if (!in_bytes) out.emplace_back();
      out.back() += char(byte);
      in_bytes = true;
    }
    tokens = std::move(out);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int byte_of(std::string_view token) {
    if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>') return -1;
    const int high = hex_digit(token[3]), low = hex_digit(token[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
  }
};

class Fuse final : public HfDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    tokens.assign(1, std::move(joined));
  }
};

// strip.rs: up to `start` leading and `stop` trailing copies of one character, from each token.
class Strip final : public HfDecoder {
 public:
  explicit Strip(const JsonField& field)
      : start_(size_t(std::max<int64_t>(0, field["start"].integer()))),
        stop_(size_t(std::max<int64_t>(0, field["stop"].integer()))) {
    utf8_append(content_, field.one_char("content"));
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::string_view rest = token;
      for (size_t i = 0; i < start_ && rest.starts_with(content_); ++i) {
        rest.remove_prefix(content_.size());
      }
      for (size_t i = 0; i < stop_ && rest.ends_with(content_); ++i) {
        rest.remove_suffix(content_.size());
      }
      token = std::string(rest);
    }
  }

 private:
  std::string content_;
  size_t start_;
  size_t stop_;
};

class Sequence final : public HfDecoder {
 public:
  explicit Sequence(const JsonField& field) {
    const JsonField list = field["decoders"];
    for (size_t i = 0; i < list.array_size(); ++i) {
      if (auto step = parse_decoder(list[i])) steps_.push_back(std::move(step));
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<const HfDecoder>> steps_;
};

}  // namespace

std::unique_ptr<const HfDecoder> parse_decoder(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field.type();
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(field);
  if (type == "Replace") return std::make_unique<Replace>(field);
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") return std::make_unique<Strip>(field);
  if (type == "Sequence") return std::make_unique<Sequence>(field);
  field.unsupported_type(kSupported);
}

}  // namespace strata
