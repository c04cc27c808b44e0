// strata perplexity: the model's perplexity on a text file, at its stored precision or with the
// decoder's linear weights quantized in memory exactly as `strata convert --quant` stores them,
// and/or the KV cache compressed as --compress-cache stores it (issue 4: the accuracy cost of
// w8 / w4 and of a 4/8-bit KV cache). With a compressed cache every window's keys and values are
// quantized when written and attention reads them dequantized, as in generation. The text is
// tokenized as a prompt ([bos] + BPE) and cut into non-overlapping windows of at most --window
// tokens, each starting with bos; every token after the bos of a window is predicted from the
// ones before it in that window.
//   perplexity = exp( sum of -log p(token | window prefix) / number of predicted tokens )
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/execution_flags.h"
#include "cli/flag_checks.h"
#include "common/error.h"
#include "engine/executor/executor_options.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/io/store_writer.h"
#include "engine/models/in_memory_model.h"
#include "engine/models/kv_cache.h"
#include "runtime/model_source.h"

namespace strata::cli {
namespace {

struct PerplexityFlags {
  std::filesystem::path model;
  std::filesystem::path text;
  std::string quant = "none";
  std::string compress_weight;
  std::string compress_cache = "none";
  std::string cache_dtype = "f32";
  int64_t window = 0;      // 0: max_position_embeddings
  int64_t max_tokens = 0;  // 0: the whole text
  int threads = available_cpu_cores();
};

// Sum of -log softmax(logits)[target] over the window, in double.
double window_nll(const InMemoryModel& model, Backend& be, const KvFormat& kv,
                  const std::vector<int32_t>& ids) {
  const ModelConfig& c = model.config();
  const int64_t t = int64_t(ids.size()), e = c.hidden_size, v = c.vocab_size;
  KvCache cache(c.num_layers, 1, t, kv);
  std::vector<int32_t> positions(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) positions[size_t(i)] = int32_t(i);
  const std::vector<uint8_t> valid(static_cast<size_t>(t), 1);
  StepInput in{1, t, ids.data(), positions.data(), 0, valid.data()};
  Workspace ws;
  std::vector<float> hidden(size_t(t * e));
  Tensor h(hidden.data(), DType::f32, {t, e});
  model.embed(be, in, h, ws);
  for (int64_t j = 0; j < c.num_layers; ++j) model.layer(be, j, in, cache, h, ws);
  // Logits of every position but the last, 64 rows at a time.
  constexpr int64_t kRows = 64;
  std::vector<float> logits(size_t(kRows * v));
  double nll = 0;
  for (int64_t r0 = 0; r0 + 1 < t; r0 += kRows) {
    const int64_t rows = std::min(kRows, t - 1 - r0);
    std::vector<float> last(hidden.begin() + r0 * e, hidden.begin() + (r0 + rows) * e);
    model.head(be, Tensor(last.data(), DType::f32, {rows, e}),
               Tensor(logits.data(), DType::f32, {rows, v}), ws);
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = logits.data() + i * v;
      const double top = *std::max_element(row, row + v);
      double sum = 0;
      for (int64_t x = 0; x < v; ++x) sum += std::exp(double(row[x]) - top);
      nll += std::log(sum) + top - double(row[ids[size_t(r0 + i + 1)]]);
    }
  }
  return nll;
}

int run_perplexity(const PerplexityFlags& f) {
  WeightQuant quant = parse_weight_quant(f.quant, "--quant");
  if (!f.compress_weight.empty()) {
    const Compression c = parse_compression_flag(f.compress_weight, "--compress-weight");
    quant = parse_weight_quant(c == Compression::kNone ? "none"
                                   : c == Compression::kQ4 ? "w4g64" : "w8g64",
                               "--compress-weight");
  }
  // The uncompressed baseline is the exact f32 cache (run's default is a half cache).
  Policy cache_policy;
  cache_policy.compress_cache = parse_compression_flag(f.compress_cache, "--compress-cache");
  cache_policy.cache_dtype = parse_cache_dtype(f.cache_dtype, "--cache-dtype");
  const DType cache_dtype = cache_dtype_of(cache_policy);
  std::ifstream in(f.text, std::ios::binary);
  STRATA_CHECK_INPUT(in.good(), f.text.string(), ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  STRATA_CHECK_INPUT(std::filesystem::is_directory(f.model), f.model.string(),
                     ": not a directory (expected a Hugging Face model directory)");
  const ModelSpec spec = model_spec(read_model_config(f.model));
  const ModelConfig& config = spec.config;
  // Each window gets the model's bos of its own, so the text is encoded without one.
  std::vector<int32_t> ids = load_tokenizer(f.model)->encode(buffer.str(), AddSpecialTokens::no);
  if (f.max_tokens > 0 && int64_t(ids.size()) > f.max_tokens) ids.resize(size_t(f.max_tokens));
  const int64_t window = f.window > 0 ? std::min(f.window, config.max_positions)
                                      : config.max_positions;
  STRATA_CHECK_INPUT(window >= 2, "--window: ", window, " leaves nothing to predict");
  STRATA_CHECK_INPUT(!ids.empty(), f.text.string(), ": no tokens");

  InMemoryModel model(spec, HfCheckpoint::open(f.model));
  if (quant) model.quantize_linear_weights(*quant);
  const KvFormat kv = kv_format(cache_dtype, config.num_kv_heads, config.head_dim);
  auto be = make_backend(BackendKind::cpu, {}, f.threads);
  double nll = 0;
  int64_t predicted = 0, windows = 0;
  for (size_t at = 0; at < ids.size(); at += size_t(window - 1)) {
    const size_t n = std::min(size_t(window - 1), ids.size() - at);
    std::vector<int32_t> w = {config.bos_token_id};
    w.insert(w.end(), ids.begin() + at, ids.begin() + at + n);
    nll += window_nll(model, *be, kv, w);
    predicted += int64_t(n);
    ++windows;
  }
  const nlohmann::json out = {{"model", f.model.string()},
                              {"text", f.text.string()},
                              {"weights", weight_quant_name(quant)},
                              {"kv_cache", kv_format_name(kv)},
                              {"tokens", predicted},
                              {"windows", windows},
                              {"window", window},
                              {"nll_per_token", nll / double(predicted)},
                              {"perplexity", std::exp(nll / double(predicted))}};
  std::cout << out.dump() << std::endl;
  return kExitOk;
}

}  // namespace

Command add_perplexity_command(CLI::App& parent) {
  auto f = std::make_shared<PerplexityFlags>();
  CLI::App* app = parent.add_subcommand(
      "perplexity", "Perplexity of a model on a text file, at stored precision or with its "
                    "decoder weights quantized (as strata convert --quant stores them)");
  app->footer("Examples:\n"
              "  strata perplexity --model examples/models/opt-fortunes-tiny "
              "--text /usr/share/common-licenses/GPL-3\n"
              "  strata perplexity --model M --text FILE --compress-weight q4   (= --quant w4g64)\n"
              "  strata perplexity --model M --text FILE --compress-weight q4 --compress-cache q4");
  app->add_option("--model", f->model, "Hugging Face model directory")->required();
  app->add_option("--text", f->text, "Text file (UTF-8)")->required();
  CLI::Option* quant = app->add_option(
      "--quant", f->quant, "none (default), w4g64, w8g64, or w4gN / w8gN (N: group size)");
  CLI::Option* compress = app->add_option("--compress-weight", f->compress_weight,
                                          "q4 or q8: the same as --quant w4g64 / w8g64");
  quant->excludes(compress);
  app->add_option("--compress-cache", f->compress_cache, "q4, q8 or none (default): the KV "
                  "cache compressed along head_dim, as run / generate / bench --compress-cache "
                  "store it");
  app->add_option("--cache-dtype", f->cache_dtype, "f32 (default: the exact baseline), f16 or "
                  "bf16: an uncompressed KV cache's elements, as run's --cache-dtype")
      ->check(CLI::IsMember({"f16", "bf16", "f32"}));
  app->add_option("--window", f->window, "Tokens per window, bos included (default and "
                  "maximum: max_position_embeddings)")->check(integer_in(2, kMaxTokens));
  app->add_option("--max-tokens", f->max_tokens, "Score only the text's first N tokens")
      ->check(integer_in(1, int64_t(1) << 40));
  add_threads_option(*app, f->threads);
  app->add_flag("--quiet,-q")
      ->description("Accepted as on every command (perplexity prints only its JSON)");
  return {app, [f] { return run_perplexity(*f); }};
}

}  // namespace strata::cli
