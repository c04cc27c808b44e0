#include "engine/executor/weight_tiers.h"

#include <algorithm>
#include <map>

#include "common/error.h"

namespace strata {
namespace {

TensorFormat parse_store_dtype(const StoreTensor& t) {
  const std::optional<TensorFormat> f = parse_tensor_format(t.dtype);
  STRATA_CHECK_INPUT(f.has_value(), "tensor ", t.name, ": store dtype ", t.dtype,
                     " is not supported by the executor (f32, f16, bf16, q4gN, q8gN)");
  STRATA_CHECK_INPUT(!is_quantized(f->dtype) || t.shape.size() == 2, "tensor ", t.name,
                     ": a quantized tensor must be a matrix, shape has ", t.shape.size(),
                     " dimensions");
  return *f;
}

}  // namespace

DTypeOf WeightTiers::store_dtypes(const WeightStore& store) {
  return [&store](const std::string& name) { return parse_store_dtype(store.require(name)); };
}

WeightTiers::WeightTiers(WeightStore store, const OptConfig& config, const TierShares& shares,
                         TierMemory& memory)
    : store_(std::move(store)), config_(config), device_(memory.device()),
      layout_(layout_weights(config, store_dtypes(store_), shares)) {
  for (const WeightTensorLayout& t : layout_.tensors) {
    const StoreTensor& stored = store_.require(t.name);
    STRATA_CHECK_INPUT(stored.shape == t.shape && stored.length == t.bytes(),
                       store_.dir().string(), ": tensor ", t.name,
                       " does not have the shape (or the byte length) config.json and its dtype ",
                       stored.dtype, " give");
  }
  device_home_ = memory.allocate(Place::device, MemoryUse::weights, layout_.device_home_bytes);
  host_home_ = memory.allocate(Place::host, MemoryUse::weights, layout_.host_home_bytes);
  memory.count(Place::disk, MemoryUse::weights, layout_.disk_bytes);
  for (int slot = 0; slot < kSlots; ++slot) {
    work_[size_t(slot)] = memory.allocate(Place::device, MemoryUse::buffers, layout_.work_bytes);
    staging_[size_t(slot)] = memory.allocate(Place::host, MemoryUse::buffers, layout_.staging_bytes);
  }
  MemoryBlock bounce;  // one host buffer for every device row read (pinning costs on CUDA)
  for (const WeightTensorLayout& t : layout_.tensors) {
    const StoreTensor& stored = store_.require(t.name);
    const uint64_t host_begin = uint64_t(t.split.disk) * t.row_bytes;
    const uint64_t device_begin = host_begin + uint64_t(t.split.host) * t.row_bytes;
    if (t.split.host > 0) {
      store_.read_into(stored, host_begin, uint64_t(t.split.host) * t.row_bytes,
                       host_home_.data<char>() + t.host_offset);
    }
    if (t.split.device > 0) {
      read_to_device(stored, device_begin, uint64_t(t.split.device) * t.row_bytes,
                     device_home_.data<char>() + t.device_offset, bounce);
    }
  }
}

void WeightTiers::read_to_device(const StoreTensor& stored, uint64_t begin, uint64_t length,
                                 char* device, MemoryBlock& bounce) {
  if (device_.host_addressable()) {
    store_.read_into(stored, begin, length, device);
    return;
  }
  // Through a host bounce buffer a piece at a time, made once: no device tensor is longer than
  // the device home.
  constexpr uint64_t kPiece = uint64_t(64) << 20;
  if (bounce.data() == nullptr) {
    bounce = device_.allocate_host(size_t(std::min<uint64_t>(layout_.device_home_bytes, kPiece)));
  }
  for (uint64_t done = 0; done < length; done += kPiece) {
    const uint64_t n = std::min(kPiece, length - done);
    store_.read_into(stored, begin + done, n, bounce.data<char>());
    device_.copy(CopyQueue::load, device + done, bounce.data(), size_t(n));
    device_.finish(CopyQueue::load);
  }
}

uint64_t WeightTiers::read_disk_rows(int64_t stage, int slot) {
  char* staging = staging_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    if (t.split.disk == 0) continue;
    const uint64_t length = uint64_t(t.split.disk) * t.row_bytes;
    store_.read_into(store_.require(t.name), 0, length, staging + s.staging_offsets[i]);
    bytes += length;
  }
  return bytes;
}

uint64_t WeightTiers::assemble(int64_t stage, int slot) {
  const char* staging = staging_[size_t(slot)].data<char>();
  char* work = work_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    char* dst = work + s.work_offsets[i];
    const size_t disk = size_t(t.split.disk) * t.row_bytes;
    const size_t host = size_t(t.split.host) * t.row_bytes;
    const size_t device = size_t(t.split.device) * t.row_bytes;
    device_.copy(CopyQueue::load, dst, staging + s.staging_offsets[i], disk);
    device_.copy(CopyQueue::load, dst + disk, host_home_.data<char>() + t.host_offset, host);
    // Device rows move device→device into the arena so a matrix is one contiguous operand:
    // split GEMMs would not be bitwise identical to the all-in-memory path.
    device_.copy(CopyQueue::load, dst + disk + host, device_home_.data<char>() + t.device_offset,
                 device);
    bytes += disk + host + device;
  }
  device_.finish(CopyQueue::load);
  return bytes;
}

Tensor WeightTiers::view(const WeightTensorLayout& t, char* bytes) const {
  if (is_quantized(t.format.dtype)) {
    return Tensor::packed(bytes, t.format, t.shape[0], t.shape[1], Place::device);
  }
  const DType d = t.format.dtype;
  return t.shape.size() == 2 ? Tensor(bytes, d, {t.shape[0], t.shape[1]}, Place::device)
                             : Tensor(bytes, d, {t.shape[0]}, Place::device);
}

StageWeights WeightTiers::stage_weights(int64_t stage, int slot) const {
  char* work = work_[size_t(slot)].data<char>();
  const StageLayout& s = layout_.stages[size_t(stage)];
  std::map<std::string, Tensor> by_name;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const WeightTensorLayout& t = layout_.tensors[s.tensors[i]];
    char* bytes = s.device_resident ? device_home_.data<char>() + t.device_offset
                                    : work + s.work_offsets[i];
    by_name[t.name] = view(t, bytes);
  }
  const auto get = [&](const std::string& name) {
    const auto it = by_name.find(name);
    return it == by_name.end() ? Tensor() : it->second;
  };
  StageWeights w;
  if (stage == 0 || stage == stage_count() - 1) {
    w.globals.embed_tokens = get("decoder.embed_tokens.weight");
    w.globals.embed_positions = get("decoder.embed_positions.weight");
    w.globals.project_in = get("decoder.project_in.weight");
    w.globals.project_out = get("decoder.project_out.weight");
    w.globals.final_norm = {get("decoder.final_layer_norm.weight"),
                            get("decoder.final_layer_norm.bias")};
    w.globals.lm_head = config_.tied_head ? w.globals.embed_tokens : get("lm_head.weight");
    return w;
  }
  const std::string pre = "decoder.layers." + std::to_string(stage - 1) + ".";
  const auto linear = [&](const std::string& name) {
    return LinearWeights{get(pre + name + ".weight"), get(pre + name + ".bias")};
  };
  w.layer.q = linear("self_attn.q_proj");
  w.layer.k = linear("self_attn.k_proj");
  w.layer.v = linear("self_attn.v_proj");
  w.layer.out = linear("self_attn.out_proj");
  w.layer.attn_norm = {get(pre + "self_attn_layer_norm.weight"),
                       get(pre + "self_attn_layer_norm.bias")};
  w.layer.fc1 = linear("fc1");
  w.layer.fc2 = linear("fc2");
  w.layer.ffn_norm = {get(pre + "final_layer_norm.weight"), get(pre + "final_layer_norm.bias")};
  return w;
}

}  // namespace strata
