#include "engine/tokenizer/hf_normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <vector>

#include "engine/tokenizer/hf_pattern.h"

namespace strata {
namespace {

constexpr std::string_view kSupported = "NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence";

// One of Unicode's four normalization forms, by ICU (libicu-dev).
class UnicodeForm final : public HfNormalizer {
 public:
  UnicodeForm(const JsonField& field, const std::string& type) {
    UErrorCode status = U_ZERO_ERROR;
    if (type == "NFC") form_ = icu::Normalizer2::getNFCInstance(status);
    if (type == "NFD") form_ = icu::Normalizer2::getNFDInstance(status);
    if (type == "NFKC") form_ = icu::Normalizer2::getNFKCInstance(status);
    if (type == "NFKD") form_ = icu::Normalizer2::getNFKDInstance(status);
    // ICU's data is linked into the library, so this fails only on a broken installation.
    STRATA_CHECK(U_SUCCESS(status) && form_ != nullptr, "ICU has no ", type,
                 " normalizer: ", u_errorName(status), " (", field.path(), ")");
  }

  void normalize(std::string& text) const override {
    // ASCII is unchanged by all four forms, and most text is ASCII.
    bool ascii = true;
    for (const char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return;
    UErrorCode status = U_ZERO_ERROR;
    const icu::StringPiece piece(text.data(), int32_t(text.size()));
    if (form_->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return;
    std::string out;
    icu::StringByteSink<std::string> sink(&out, int32_t(text.size()));
    status = U_ZERO_ERROR;
    form_->normalizeUTF8(0, piece, sink, nullptr, status);
    STRATA_CHECK(U_SUCCESS(status), "ICU normalization failed: ", u_errorName(status));
    text = std::move(out);
  }

 private:
  const icu::Normalizer2* form_ = nullptr;  // owned by ICU, valid for the process
};

// prepend.rs: the string goes in front of any non-empty text.
class Prepend final : public HfNormalizer {
 public:
  explicit Prepend(const JsonField& field) : prefix_(field["prepend"].string()) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text = prefix_ + text;
  }

 private:
  std::string prefix_;
};

class Replace final : public HfNormalizer {
 public:
  explicit Replace(const JsonField& field)
      : pattern_(HfPattern::parse(field["pattern"])), content_(field["content"].string()) {}
  void normalize(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  HfPattern pattern_;
  std::string content_;
};

class Sequence final : public HfNormalizer {
 public:
  explicit Sequence(const JsonField& field) {
    const JsonField list = field["normalizers"];
    for (size_t i = 0; i < list.array_size(); ++i) {
      if (auto normalizer = parse_normalizer(list[i])) steps_.push_back(std::move(normalizer));
    }
  }
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<const HfNormalizer>> steps_;
};

}  // namespace

std::unique_ptr<const HfNormalizer> parse_normalizer(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field.type();
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    return std::make_unique<UnicodeForm>(field, type);
  }
  if (type == "Prepend") return std::make_unique<Prepend>(field);
  if (type == "Replace") return std::make_unique<Replace>(field);
  if (type == "Sequence") return std::make_unique<Sequence>(field);
  field.unsupported_type(kSupported);
}

}  // namespace strata
