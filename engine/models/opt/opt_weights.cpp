#include "engine/models/opt/opt_weights.h"

#include <string>

#include "common/error.h"
#include "engine/core/quantize_matrix.h"

namespace strata {
namespace {

// Collects the tensors of one arena and checks each against the config; finish() allocates the
// arena once and reads every tensor into its slot, pointing the destination views at it.
class ArenaLoader {
 public:
  explicit ArenaLoader(const HfCheckpoint& ckpt) : ckpt_(ckpt) {}

  void require(const std::string& name, std::vector<int64_t> shape, Tensor& dst) {
    const HfCheckpoint::Located& loc = ckpt_.require_weight(name, shape);
    pending_.push_back({&loc, std::move(shape), offset_, &dst});
    // 64-byte alignment keeps every tensor's rows SIMD-friendly inside the arena.
    offset_ += (loc.entry->nbytes + 63) / 64 * 64;
  }

  void optional(bool present, const std::string& name, std::vector<int64_t> shape, Tensor& dst) {
    if (present) require(name, std::move(shape), dst);
  }

  void linear(const OptConfig& c, const std::string& name, int64_t out, int64_t in,
              LinearWeights& dst) {
    require(name + ".weight", {out, in}, dst.weight);
    optional(c.bias, name + ".bias", {out}, dst.bias);
  }

  void norm(const OptConfig& c, const std::string& name, LayerNormWeights& dst) {
    optional(c.layer_norm_affine, name + ".weight", {c.hidden_size}, dst.gamma);
    optional(c.layer_norm_affine, name + ".bias", {c.hidden_size}, dst.beta);
  }

  AlignedBuffer finish() {
    AlignedBuffer arena(offset_);
    for (const Pending& p : pending_) {
      char* bytes = arena.data<char>() + p.offset;
      ckpt_.read(*p.located, bytes);
      const DType dtype = *p.located->entry->dtype;
      *p.dst = p.shape.size() == 1 ? Tensor(bytes, dtype, {p.shape[0]})
                                   : Tensor(bytes, dtype, {p.shape[0], p.shape[1]});
    }
    return arena;
  }

 private:
  struct Pending {
    const HfCheckpoint::Located* located;
    std::vector<int64_t> shape;
    size_t offset;
    Tensor* dst;
  };

  const HfCheckpoint& ckpt_;
  size_t offset_ = 0;
  std::vector<Pending> pending_;
};

}  // namespace

OptWeights OptWeights::load(const OptConfig& c, const HfCheckpoint& ckpt) {
  OptWeights w;
  const int64_t h = c.hidden_size, p = c.word_embed_proj_dim;
  {
    ArenaLoader l(ckpt);
    l.require("decoder.embed_tokens.weight", {c.vocab_size, p}, w.embed_tokens);
    l.require("decoder.embed_positions.weight", {c.max_positions + OptConfig::kPositionOffset, h},
              w.embed_positions);
    l.optional(c.has_projection(), "decoder.project_in.weight", {h, p}, w.project_in);
    l.optional(c.has_projection(), "decoder.project_out.weight", {p, h}, w.project_out);
    if (c.final_layer_norm) l.norm(c, "decoder.final_layer_norm", w.final_norm);
    l.optional(!c.tied_head, "lm_head.weight", {c.vocab_size, p}, w.lm_head);
    w.arenas_.push_back(l.finish());
    if (c.tied_head) w.lm_head = w.embed_tokens;
  }
  w.layers.resize(size_t(c.num_layers));
  for (int64_t j = 0; j < c.num_layers; ++j) {
    const std::string pre = "decoder.layers." + std::to_string(j);
    OptLayerWeights& lw = w.layers[size_t(j)];
    ArenaLoader l(ckpt);
    l.linear(c, pre + ".self_attn.q_proj", h, h, lw.q);
    l.linear(c, pre + ".self_attn.k_proj", h, h, lw.k);
    l.linear(c, pre + ".self_attn.v_proj", h, h, lw.v);
    l.linear(c, pre + ".self_attn.out_proj", h, h, lw.out);
    l.norm(c, pre + ".self_attn_layer_norm", lw.attn_norm);
    l.linear(c, pre + ".fc1", c.ffn_dim, h, lw.fc1);
    l.linear(c, pre + ".fc2", h, c.ffn_dim, lw.fc2);
    l.norm(c, pre + ".final_layer_norm", lw.ffn_norm);
    w.arenas_.push_back(l.finish());
  }
  return w;
}

void OptWeights::quantize_linear_weights(const TensorFormat& format) {
  for (size_t j = 0; j < layers.size(); ++j) {
    OptLayerWeights& lw = layers[j];
    Tensor* linear[] = {&lw.q.weight, &lw.k.weight, &lw.v.weight,
                        &lw.out.weight, &lw.fc1.weight, &lw.fc2.weight};
    size_t bytes = 0;
    for (Tensor* t : linear) {
      bytes += (size_t(t->dim(0)) * format_row_bytes(format, t->dim(1)) + 63) / 64 * 64;
    }
    AlignedBuffer arena(bytes);
    size_t offset = 0;
    for (Tensor* t : linear) {
      STRATA_CHECK(!is_quantized(t->dtype()), "layer ", j, ": weights are already quantized");
      char* dst = arena.data<char>() + offset;
      quantize_matrix(t->data(), t->dtype(), t->dim(0), t->dim(1), format, dst,
                      "decoder.layers." + std::to_string(j) + " " + t->shape_string());
      *t = Tensor::packed(dst, format, t->dim(0), t->dim(1));
      offset += (t->nbytes() + 63) / 64 * 64;
    }
    arenas_.push_back(std::move(arena));
  }
}

}  // namespace strata
