#include "planner/model_geometry.h"

#include <array>

#include "common/error.h"

namespace strata {

namespace {

struct Preset {
  const char* name;
  int64_t layers, hidden, heads, ffn;
};

// facebook/opt-*/config.json: num_hidden_layers, hidden_size, num_attention_heads, ffn_dim.
// All share vocab_size 50272 and max_position_embeddings 2048.
constexpr std::array<Preset, 9> kOptPresets = {{
    {"opt-125m", 12, 768, 12, 3072},
    {"opt-350m", 24, 1024, 16, 4096},
    {"opt-1.3b", 24, 2048, 32, 8192},
    {"opt-2.7b", 32, 2560, 32, 10240},
    {"opt-6.7b", 32, 4096, 32, 16384},
    {"opt-13b", 40, 5120, 40, 20480},
    {"opt-30b", 48, 7168, 56, 28672},
    {"opt-66b", 64, 9216, 72, 36864},
    {"opt-175b", 96, 12288, 96, 49152},
}};

constexpr int64_t kOptPositionOffset = 2;  // transformers modeling_opt: positions start at 2

}  // namespace

void validate(const ModelGeometry& m) {
  const std::pair<const char*, int64_t> fields[] = {
      {"num_layers", m.num_layers}, {"hidden", m.hidden},   {"num_heads", m.num_heads},
      {"ffn", m.ffn},               {"vocab", m.vocab},     {"max_positions", m.max_positions}};
  for (const auto& [field, value] : fields) {
    STRATA_CHECK_INPUT(value > 0, "model ", m.name, ": ", field, " = ", value, " must be > 0");
  }
  STRATA_CHECK_INPUT(m.hidden % m.num_heads == 0, "model ", m.name, ": hidden ", m.hidden,
                     " is not a multiple of num_heads ", m.num_heads);
  STRATA_CHECK_INPUT(m.word_embed_proj_dim >= 0, "model ", m.name, ": word_embed_proj_dim = ",
                     m.word_embed_proj_dim, " must be >= 0");
}

ModelGeometry opt_geometry(const std::string& name) {
  const std::string key = name.rfind("facebook/", 0) == 0 ? name.substr(9) : name;
  for (const Preset& p : kOptPresets) {
    if (key != p.name) continue;
    ModelGeometry m;
    m.name = p.name;
    m.num_layers = p.layers;
    m.hidden = p.hidden;
    m.num_heads = p.heads;
    m.ffn = p.ffn;
    m.vocab = 50272;
    m.max_positions = 2048;
    if (key == "opt-350m") {  // the one OPT with a 512-wide embedding and post-layer-norm
      m.word_embed_proj_dim = 512;
      m.final_layer_norm = false;
    }
    return m;
  }
  std::string known;
  for (const Preset& p : kOptPresets) known += std::string(known.empty() ? "" : ", ") + p.name;
  fail_input("unknown model preset '", name, "' (known: ", known, ")");
}

std::vector<std::string> opt_preset_names() {
  std::vector<std::string> names;
  for (const Preset& p : kOptPresets) names.emplace_back(p.name);
  return names;
}

uint64_t parameter_count(const ModelGeometry& m) {
  const uint64_t h = m.hidden, f = m.ffn, e = m.embed_dim();
  const uint64_t layer = 4 * (h * h + h) + (f * h + f) + (h * f + h) + 2 * (2 * h);
  uint64_t outside = m.vocab * e + (m.max_positions + kOptPositionOffset) * h;
  if (e != h) outside += 2 * h * e;  // project_in and project_out, no bias
  if (m.final_layer_norm) outside += 2 * h;
  return m.num_layers * layer + outside;
}

ModelBytes model_bytes(const ModelGeometry& m, Compression weights, Compression cache,
                       const MatrixBytesFn& matrix_bytes) {
  validate(m);
  const uint64_t h = m.hidden, f = m.ffn, e = m.embed_dim();
  const StorageFormat dense = m.weight_format;
  const StorageFormat wfmt = stored_format(dense, weights);
  const uint64_t elem = dense_element_bytes(dense);
  ModelBytes b;
  // Matrices are (out, in): q, k, v, out are h x h, fc1 is f x h, fc2 is h x f. Biases
  // (3h + h + f + h) and two layer norms (weight + bias) stay dense: quant/ packs matrices only.
  b.layer_weights = 4 * matrix_bytes(h, h, wfmt) + matrix_bytes(f, h, wfmt) +
                    matrix_bytes(h, f, wfmt) + (4 * h + f + h + 4 * h) * elem;
  // Embeddings are gathered by row and the tied LM head reuses the token table, so they stay
  // dense (the store keeps them uncompressed).
  const uint64_t token_table = matrix_bytes(m.vocab, e, dense);
  b.outside_weights = token_table + matrix_bytes(m.max_positions + kOptPositionOffset, h, dense);
  b.head_weights = token_table;
  b.embed_weights = b.embed_lookup_weights = b.outside_weights;
  b.embed_lookup_row_bytes = matrix_bytes(1, e, dense) + matrix_bytes(1, h, dense);
  if (e != h) {
    b.outside_weights += matrix_bytes(h, e, dense) + matrix_bytes(e, h, dense);
    b.head_weights += matrix_bytes(e, h, dense);  // project_out runs before the head
    b.embed_weights += matrix_bytes(h, e, dense);  // project_in runs after the gather
  }
  if (m.final_layer_norm) b.outside_weights += 2 * h * elem;
  // KV cache: per token and layer, K and V are num_heads rows of head_dim values each; the
  // quantized cache groups along head_dim (DESIGN.md "Quantization").
  b.kv_per_token = matrix_bytes(2 * m.num_heads, m.head_dim(), stored_format(m.cache_format, cache));
  b.layer_flops_per_token = 2.0 * (4.0 * h * h + 2.0 * h * f);
  b.head_flops_per_token = 2.0 * m.vocab * e + (e != h ? 2.0 * h * e : 0.0);
  return b;
}

}  // namespace strata
