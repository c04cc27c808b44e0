#include "runtime/model_source.h"

#include "engine/chat/tokenizer_chat_config.h"
#include "engine/tokenizer/bpe_tokenizer.h"

#include "common/error.h"
#include "engine/executor/executor_options.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

StorageFormat storage_format(DType d) {
  switch (d) {
    case DType::f32: return StorageFormat::kF32;
    case DType::bf16: return StorageFormat::kBF16;
    default: return StorageFormat::kF16;
  }
}

// Instruct models end a turn with the tokenizer's eos_token (<|eot_id|>, <|im_end|>), which
// config.json's eos_token_id may not list: generation stops at it too.
void add_end_of_turn(const fs::path& dir, const Tokenizer& tokenizer, ModelConfig& config) {
  const chat::TokenizerChatConfig chat = chat::TokenizerChatConfig::load(dir);
  const auto eos = chat.special_tokens.find("eos_token");
  if (eos == chat.special_tokens.end() || !eos->is_string()) return;
  const std::optional<int32_t> id = tokenizer.token_id(eos->get<std::string>());
  if (id && !config.is_eos(*id)) config.eos_token_ids.push_back(*id);
}

}  // namespace

bool is_store_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / std::string(StoreManifest::kFileName), ec);
}

ModelSource ModelSource::open(const fs::path& dir, WarningSink warn) {
  STRATA_CHECK_INPUT(fs::is_directory(dir), dir.string(),
                     ": not a directory (expected a Hugging Face model directory or a store)");
  ModelSource s;
  s.dir_ = dir;
  ModelConfig config = read_model_config(dir);
  s.tokenizer_ = load_tokenizer(dir);
  add_end_of_turn(dir, *s.tokenizer_, config);
  s.model_ = std::make_shared<const ModelSpec>(model_spec(config));
  if (is_store_dir(dir)) {
    WeightStoreOptions options;
    options.io.warn = std::move(warn);
    s.store_ = WeightStore::open(dir, options);
  } else {
    s.checkpoint_ = std::make_shared<const HfCheckpoint>(HfCheckpoint::open(dir));
    check_no_unknown_tensors(*s.checkpoint_, s.model_->tensors, s.model_->config.tied_head);
  }
  return s;
}

std::vector<int32_t> prompt_ids(const ModelConfig& config, const Tokenizer& tokenizer,
                                std::string_view text) {
  // tokenizer.json and tokenizer.model say themselves which special tokens a text gets (Llama:
  // bos; Qwen: none), as transformers' tokenizer(text) does. vocab.json/merges.txt carry no
  // post-processor: the model's bos goes first, as transformers' OPT tokenizer adds it.
  if (dynamic_cast<const BpeTokenizer*>(&tokenizer) == nullptr) {
    return tokenizer.encode(text, AddSpecialTokens::yes);
  }
  std::vector<int32_t> ids{config.bos_token_id};
  const std::vector<int32_t> body = tokenizer.encode(text, AddSpecialTokens::no);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

std::vector<int32_t> ModelSource::prompt_ids(std::string_view text) const {
  return strata::prompt_ids(config(), *tokenizer_, text);
}

DTypeOf ModelSource::formats(Compression compress_weight) const {
  if (store_) {
    const WeightStore* store = &*store_;
    return [store](const std::string& name) {
      const StoreTensor& t = store->require(name);
      const std::optional<TensorFormat> f = parse_tensor_format(t.dtype);
      STRATA_CHECK_INPUT(f.has_value(), store->dir().string(), ": tensor ", name, ": store dtype ",
                         t.dtype, " is not supported (f32, f16, bf16, q4gN, q8gN)");
      return *f;
    };
  }
  STRATA_CHECK(checkpoint_ != nullptr, "model source ", dir_.string(), " was handed away");
  const HfCheckpoint* ckpt = checkpoint_.get();
  const std::shared_ptr<const ModelSpec> model = model_;
  const std::optional<TensorFormat> quant = weight_format_of(compress_weight);
  return [ckpt, model, quant](const std::string& name) -> TensorFormat {
    if (quant) {
      const TensorSpec* t = model->tensors.find(name);
      if (t != nullptr && t->quantizable) return *quant;
    }
    const HfCheckpoint::Located& loc = ckpt->require(name);
    STRATA_CHECK_INPUT(loc.entry->dtype.has_value() && *loc.entry->dtype != DType::i32,
                       loc.file->path().string(), ": tensor ", loc.stored_name,
                       ": dtype is not supported for weights (F32, F16 or BF16)");
    return *loc.entry->dtype;
  };
}

StorageFormat ModelSource::dense_weight_format() const {
  // The first tensor of every table is the token embedding, which no conversion quantizes.
  return storage_format(formats(Compression::kNone)(model_->tensors.tensors.front().name).dtype);
}

std::string ModelSource::store_quant() const { return store_ ? store_->manifest().quant : "none"; }

WeightStore ModelSource::take_store() {
  STRATA_CHECK(store_.has_value(), dir_.string(), ": not a store, or handed away already");
  WeightStore s = std::move(*store_);
  store_.reset();
  return s;
}

}  // namespace strata
