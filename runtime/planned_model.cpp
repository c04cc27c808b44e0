#include "runtime/planned_model.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "engine/executor/block_plan.h"
#include "engine/executor/executor_options.h"
#include "runtime/model_source.h"

namespace strata {
namespace {

constexpr DataKind kWeights = DataKind::kWeights, kCache = DataKind::kCache,
                   kActivations = DataKind::kActivations;

TensorFormat dense_tensor_format(StorageFormat f) {
  switch (f) {
    case StorageFormat::kF32: return DType::f32;
    case StorageFormat::kBF16: return DType::bf16;
    default: return DType::f16;
  }
}

ModelGeometry geometry(const PlannedModel& m) {
  const ModelConfig& c = m.model->config;
  ModelGeometry g;
  g.name = m.name;
  g.num_layers = c.num_layers;
  g.hidden = c.hidden_size;
  g.num_heads = c.num_heads;
  g.ffn = c.ffn_dim;
  g.vocab = c.vocab_size;
  g.max_positions = c.max_positions;
  g.word_embed_proj_dim = c.embed_dim;
  g.final_layer_norm = c.final_norm;
  g.weight_format = m.dense_format;
  return g;
}

// Bytes and FLOPs by the table: a layer is stage 1's tensors, the embedding stage's (0) and the
// head stage's tensors (shared ones included) are read every step, every matrix multiplies once
// per token.
ModelBytes table_bytes(const PlannedModel& m, Compression weights, Compression cache,
                       CacheDType cache_dtype) {
  const TensorTable& table = m.model->tensors;
  const ModelConfig& c = m.model->config;
  const DTypeOf format = m.formats(weights);
  const auto bytes = [&](const TensorSpec& t) {
    const int64_t cols = t.shape.size() == 2 ? t.shape[1] : 1;
    return uint64_t(t.shape[0]) * format_row_bytes(format(t.name), cols);
  };
  const auto matrix_flops = [](const TensorSpec& t) {
    return t.shape.size() == 2 ? 2.0 * double(t.shape[0]) * double(t.shape[1]) : 0.0;
  };
  ModelBytes b;
  const auto add_embed_bytes = [&](const TensorSpec& t, ModelBytes& out) {
    out.embed_weights += bytes(t);
    if (!t.lookup) return;
    out.embed_lookup_weights += bytes(t);
    out.embed_lookup_row_bytes += bytes(t) / uint64_t(std::max<int64_t>(t.shape[0], 1));
  };
  for (const TensorSpec& t : table.tensors) {
    if (t.stage == 1) {
      b.layer_weights += bytes(t);
      if (t.quantizable) b.layer_flops_per_token += matrix_flops(t);
    } else if (!table.is_layer_stage(t.stage)) {
      b.outside_weights += bytes(t);
    }
    if (t.stage == table.head_stage()) {
      b.head_weights += bytes(t);
      b.head_flops_per_token += matrix_flops(t);
    }
    if (t.stage == 0) add_embed_bytes(t, b);
  }
  for (const SharedUse& u : table.shared) {
    if (u.stage == 0) add_embed_bytes(table.tensors[u.tensor], b);
    if (u.stage != table.head_stage()) continue;
    b.head_weights += bytes(table.tensors[u.tensor]);
    b.head_flops_per_token += matrix_flops(table.tensors[u.tensor]);
  }
  Policy kv;  // the KV cache's element format, as the executor's block plan makes it
  kv.compress_cache = cache;
  kv.cache_dtype = cache_dtype;
  b.kv_per_token = 2 * kv_format(cache_dtype_of(kv), c.num_kv_heads, c.head_dim).slot_bytes();
  return b;
}

// The weights' part of the executor's memory, for one compression: homes as a fraction of the
// all-on-a-tier bytes plus a row and an alignment per tensor, and the working arenas and
// staging buffers that exist once any stage streams.
struct WeightMemory {
  double home[3] = {0, 0, 0};   // all rows on the tier
  double slack[3] = {0, 0, 0};  // rounding of every tensor's split
  double work = 0;              // device: two working arenas
  double staging = 0;           // host: two staging buffers
};

WeightMemory weight_memory(const TensorTable& table, const DTypeOf& format) {
  WeightMemory w;
  const WeightLayout dev = layout_weights(table, format, {1, 0, 0});
  const WeightLayout host = layout_weights(table, format, {0, 1, 0});
  const WeightLayout disk = layout_weights(table, format, {0, 0, 1});
  w.home[0] = double(dev.device_home_bytes);
  w.home[1] = double(host.host_home_bytes);
  w.home[2] = double(disk.disk_bytes);
  for (const WeightTensorLayout& t : dev.tensors) {
    w.slack[0] += double(t.row_bytes + 64);
    w.slack[1] += double(t.row_bytes + 64);
    w.slack[2] += double(t.row_bytes);
  }
  w.work = 2.0 * double(host.work_bytes);
  w.staging = 2.0 * double(disk.staging_bytes);
  return w;
}

Policy with_placement(Policy p, DataKind kind, Placement where) {
  placement(p, kind) = where;
  return p;
}

std::vector<ExecutorMemoryForm> executor_forms(const PlannedModel& m, const WeightMemory& w,
                                               const Policy& shape, const Workload& load) {
  const ModelSpec& spec = *m.model;
  const auto plan = [&](Placement cache, Placement act) {
    Policy p = with_placement(with_placement(shape, kCache, cache), kActivations, act);
    return plan_block(spec, p, worst_block(p, load.prompt_len, load.gen_len));
  };
  const Placement dev{1, 0, 0}, host{0, 1, 0}, disk{0, 0, 1};
  const BlockPlan on_dev = plan(dev, dev), on_host = plan(host, host), on_disk = plan(disk, host);
  // One sequence of rounding per tier for the cache, one micro-batch for the hidden states.
  const double seq = 2.0 * double(spec.config.num_layers) * double(on_host.kv.seq_bytes());
  const double hidden = double(on_dev.hidden_bytes.front());
  const double k = double(shape.num_gpu_batches);
  std::vector<ExecutorMemoryForm> forms(3);
  for (int t = 0; t < 3; ++t) {
    ExecutorMemoryForm& f = forms[size_t(t)];
    const Tier tier = static_cast<Tier>(t);
    const Place place = static_cast<Place>(t);
    f.tier = tier;
    f.bytes.add(kWeights, tier, w.home[t]).add(w.slack[t]);
    const BlockPlan& all_here = t == 0 ? on_dev : t == 1 ? on_host : on_disk;
    f.bytes.add(kCache, tier, double(all_here.kv.tier_bytes(place))).add(seq);
    if (tier != Tier::kDisk) f.bytes.add(kActivations, tier, k * hidden).add(hidden);
  }
  ExecutorMemoryForm& d = forms[0];
  d.bytes.add(double(on_dev.logits_bytes + on_dev.scratch_bytes));
  d.off_device_reserve[size_t(kWeights)] = w.work;
  d.off_device_reserve[size_t(kCache)] = double(BlockPlan::kSlots * on_host.kv.work_bytes());
  d.off_device_reserve[size_t(kActivations)] = double(BlockPlan::kSlots * on_host.hidden_work_bytes);
  ExecutorMemoryForm& h = forms[1];
  h.bytes.add(double(on_dev.host_scratch_bytes));
  h.off_device_reserve[size_t(kWeights)] = w.staging;
  h.off_device_reserve[size_t(kCache)] = double(BlockPlan::kSlots * on_disk.kv.staging_bytes());
  return forms;
}

}  // namespace

PlannedModel planned_model(const ModelSource& source) {
  PlannedModel m;
  m.name = std::filesystem::weakly_canonical(source.dir()).filename().string();
  m.model = source.model();
  const ModelSource* s = &source;
  m.formats = [s](Compression c) { return s->formats(c); };
  m.dense_format = source.dense_weight_format();
  return m;
}

PlannedModel planned_preset(const std::string& name) {
  const nlohmann::json config = preset_config(name);
  PlannedModel m;
  m.name = name;
  m.model = std::make_shared<const ModelSpec>(model_spec(parse_model_config(config, name)));
  const std::string dtype = config.value("torch_dtype", "float16");
  m.dense_format = dtype == "float32"    ? StorageFormat::kF32
                   : dtype == "bfloat16" ? StorageFormat::kBF16
                                         : StorageFormat::kF16;
  const TensorFormat dense = dense_tensor_format(m.dense_format);
  const std::shared_ptr<const ModelSpec> spec = m.model;
  m.formats = [spec, dense](Compression c) -> DTypeOf {
    const std::optional<TensorFormat> quant = weight_format_of(c);
    return [spec, dense, quant](const std::string& n) {
      const TensorSpec* t = spec->tensors.find(n);
      return quant && t != nullptr && t->quantizable ? *quant : dense;
    };
  };
  return m;
}

PlanInputs planner_inputs(const PlannedModel& m, const HardwareProfile& hardware,
                          const Workload& workload) {
  PlanInputs in;
  in.model = geometry(m);
  in.hardware = hardware;
  in.workload = workload;
  in.model_bytes = [m](Compression w, Compression c, CacheDType d) {
    return table_bytes(m, w, c, d);
  };
  // The weights' layouts depend only on the compression: made once each, as the search asks.
  auto cache = std::make_shared<std::map<Compression, WeightMemory>>();
  auto mutex = std::make_shared<std::mutex>();
  in.executor_memory = [m, cache, mutex, workload](const Policy& shape) {
    WeightMemory w;
    {
      std::lock_guard<std::mutex> lock(*mutex);
      auto it = cache->find(shape.compress_weight);
      if (it == cache->end()) {
        it = cache->emplace(shape.compress_weight,
                            weight_memory(m.model->tensors, m.formats(shape.compress_weight)))
                 .first;
      }
      w = it->second;
    }
    return executor_forms(m, w, shape, workload);
  };
  validate(in);
  return in;
}

}  // namespace strata
