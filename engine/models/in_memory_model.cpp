#include "engine/models/in_memory_model.h"

#include <cstring>

#include "common/error.h"
#include "engine/core/quantize_matrix.h"

namespace strata {
namespace {

// 64-byte alignment keeps every tensor's rows SIMD-friendly inside an arena.
size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

Tensor view(char* bytes, DType dtype, const std::vector<int64_t>& shape) {
  return shape.size() == 1 ? Tensor(bytes, dtype, {shape[0]})
                           : Tensor(bytes, dtype, {shape[0], shape[1]});
}

// The arena a stage's tensors live in: the globals share one, each layer has its own.
size_t arena_of(const TensorTable& t, int64_t stage) {
  return t.is_layer_stage(stage) ? size_t(stage) : 0;
}

}  // namespace

InMemoryModel::InMemoryModel(ModelSpec spec, const HfCheckpoint& ckpt) : spec_(std::move(spec)) {
  const TensorTable& table = spec_.tensors;
  std::vector<const HfCheckpoint::Located*> located;
  std::vector<size_t> offsets, arena_bytes(size_t(table.num_layers + 1), 0);
  for (const TensorSpec& t : table.tensors) {
    const HfCheckpoint::Located& loc = ckpt.require_weight(t.name, t.shape);
    size_t& end = arena_bytes[arena_of(table, t.stage)];
    located.push_back(&loc);
    offsets.push_back(end);
    end += align64(loc.entry->nbytes);
  }
  for (size_t bytes : arena_bytes) arenas_.emplace_back(bytes);
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    const TensorSpec& t = table.tensors[i];
    char* bytes = arenas_[arena_of(table, t.stage)].data<char>() + offsets[i];
    ckpt.read(*located[i], bytes);
    tensors_.push_back(view(bytes, *located[i]->entry->dtype, t.shape));
  }
  rebuild_stages();
}

InMemoryModel::InMemoryModel(ModelSpec spec, std::vector<Tensor> tensors)
    : spec_(std::move(spec)), tensors_(std::move(tensors)) {
  STRATA_CHECK(tensors_.size() == spec_.tensors.tensors.size(), tensors_.size(),
               " tensors for a table of ", spec_.tensors.tensors.size());
  rebuild_stages();
}

void InMemoryModel::rebuild_stages() {
  const TensorTable& table = spec_.tensors;
  stages_.assign(size_t(table.stage_count()), StageWeights());
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    stages_[size_t(table.tensors[i].stage)].set(table.tensors[i].role, tensors_[i]);
  }
  for (const SharedUse& u : table.shared) stages_[size_t(u.stage)].set(u.role, tensors_[u.tensor]);
}

void InMemoryModel::quantize_linear_weights(const TensorFormat& format) {
  const TensorTable& table = spec_.tensors;
  size_t bytes = 0;
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    const Tensor& t = tensors_[i];
    if (table.tensors[i].quantizable) bytes += align64(size_t(t.dim(0)) * format_row_bytes(format, t.dim(1)));
  }
  AlignedBuffer arena(bytes);
  size_t offset = 0;
  for (size_t i = 0; i < table.tensors.size(); ++i) {
    if (!table.tensors[i].quantizable) continue;
    Tensor& t = tensors_[i];
    STRATA_CHECK(!is_quantized(t.dtype()), table.tensors[i].name, ": already quantized");
    char* dst = arena.data<char>() + offset;
    quantize_matrix(t.data(), t.dtype(), t.dim(0), t.dim(1), format, dst,
                    table.tensors[i].name + " " + t.shape_string());
    t = Tensor::packed(dst, format, t.dim(0), t.dim(1));
    offset += align64(t.nbytes());
  }
  arenas_.push_back(std::move(arena));  // the dense arenas stay allocated
  rebuild_stages();
}

void InMemoryModel::embed(Backend& be, const StepInput& in, Tensor h, Workspace& ws) const {
  spec_.forward->embed(be, stage(0), in, h, ws);
}

void InMemoryModel::layer(Backend& be, int64_t j, const StepInput& in, KvCache& cache, Tensor h,
                          Workspace& ws) const {
  InMemoryKvAttention attention(cache);
  spec_.forward->layer(be, stage(j + 1), j, in, attention, h, ws);
}

void InMemoryModel::head(Backend& be, Tensor h_last, Tensor logits, Workspace& ws) const {
  spec_.forward->head(be, stage(spec_.tensors.head_stage()), h_last, logits, ws);
}

void InMemoryModel::forward(Backend& be, const StepInput& in, KvCache& cache,
                            Tensor logits) const {
  Workspace ws;
  const int64_t rows = in.batch * in.new_tokens, e = config().hidden_size;
  std::vector<float> hidden(size_t(rows * e));
  Tensor h(hidden.data(), DType::f32, {rows, e});
  embed(be, in, h, ws);
  for (int64_t j = 0; j < config().num_layers; ++j) layer(be, j, in, cache, h, ws);
  // Only the last new position of each sequence needs logits (prefill included).
  std::vector<float> last(size_t(in.batch * e));
  for (int64_t b = 0; b < in.batch; ++b) {
    std::memcpy(last.data() + b * e, hidden.data() + ((b + 1) * in.new_tokens - 1) * e,
                size_t(e) * sizeof(float));
  }
  head(be, Tensor(last.data(), DType::f32, {in.batch, e}), logits, ws);
}

}  // namespace strata
