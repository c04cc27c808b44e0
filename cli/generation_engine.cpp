#include "cli/generation_engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "common/error.h"
#include "engine/executor/capacity_check.h"
#include "engine/io/hf_checkpoint.h"
#include "engine/io/store_writer.h"
#include "offload/weight_store.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

// Where converted models are cached: --offload-dir, else $XDG_CACHE_HOME/strata, else
// ~/.cache/strata (the CLI reads the environment; the library never does).
fs::path cache_root(const fs::path& offload_dir) {
  if (!offload_dir.empty()) return offload_dir / "strata-stores";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "strata" / "stores";
  }
  const char* home = std::getenv("HOME");
  STRATA_CHECK_INPUT(home != nullptr && *home != '\0', "no cache folder for the converted model: "
                     "give --offload-dir (neither XDG_CACHE_HOME nor HOME is set)");
  return fs::path(home) / ".cache" / "strata" / "stores";
}

// Identifies a model directory's contents cheaply: its path, and each file's name, size and
// modification time. A changed checkpoint gets a new cache entry.
std::string model_key(const fs::path& model_dir) {
  std::ostringstream text;
  text << fs::weakly_canonical(model_dir).string();
  std::vector<fs::directory_entry> entries(fs::directory_iterator(model_dir), {});
  std::sort(entries.begin(), entries.end());
  for (const fs::directory_entry& e : entries) {
    if (!e.is_regular_file()) continue;
    text << '|' << e.path().filename().string() << ':' << e.file_size() << ':'
         << e.last_write_time().time_since_epoch().count();
  }
  std::ostringstream key;
  key << std::hex << std::setw(16) << std::setfill('0') << std::hash<std::string>{}(text.str());
  return key.str();
}

DTypeOf checkpoint_dtypes(const HfCheckpoint& ckpt) {
  return [&ckpt](const std::string& name) {
    const HfCheckpoint::Located& loc = ckpt.require(name);
    STRATA_CHECK_INPUT(loc.entry->dtype.has_value() && *loc.entry->dtype != DType::i32,
                       loc.file->path().string(), ": tensor ", loc.stored_name,
                       ": dtype is not supported for weights (F32, F16 or BF16)");
    return *loc.entry->dtype;
  };
}

// The formats a conversion with `quant` will store (for the capacity check before it runs).
DTypeOf converted_dtypes(DTypeOf stored, const std::optional<TensorFormat>& quant) {
  if (!quant) return stored;
  return [stored, q = *quant](const std::string& name) {
    return quantized_in_store(name) ? q : stored(name);
  };
}

// --compress-weight with a store: the store must already hold weights of those bits.
void check_store_quant(const fs::path& store, const std::optional<TensorFormat>& quant) {
  if (!quant) return;
  const std::string have = WeightStore::open(store).manifest().quant;
  const std::string want = quant->dtype == DType::q4 ? "w4g" : "w8g";
  STRATA_CHECK_INPUT(have.rfind(want, 0) == 0, store.string(), ": the store's weights are ",
                     have, ", but --compress-weight asks for ", dtype_name(quant->dtype),
                     "; convert with strata convert --quant ", want, "64, or drop the flag");
}

WarningSink warning_printer(std::ostream* log) {
  if (log == nullptr) return {};
  return [log](const std::string& line) { *log << "strata: warning: " << line << std::endl; };
}

}  // namespace

bool is_store_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / std::string(StoreManifest::kFileName), ec);
}

fs::path store_for(const fs::path& model_dir, const fs::path& offload_dir, std::ostream* log,
                   const std::optional<TensorFormat>& quant) {
  if (is_store_dir(model_dir)) {
    check_store_quant(model_dir, quant);
    return model_dir;
  }
  STRATA_CHECK_INPUT(fs::is_directory(model_dir), model_dir.string(), ": not a directory");
  const std::string suffix = quant ? "-" + weight_quant_name(quant) : "";
  const fs::path store = cache_root(offload_dir) / (fs::weakly_canonical(model_dir).filename().string() +
                                                    "-" + model_key(model_dir) + suffix);
  if (is_store_dir(store)) return store;
  fs::create_directories(store.parent_path());
  if (log != nullptr) {
    *log << "strata: converting " << model_dir.string() << " into " << store.string()
         << " (first use)" << std::endl;
  }
  ConvertOptions options;
  options.model_dir = model_dir;
  options.store_dir = store;
  options.quant = quant;
  options.writer.existing = WeightStoreWriterOptions::Existing::replace;
  options.writer.io.warn = warning_printer(log);
  options.progress = log;
  convert_hf_to_store(options);
  return store;
}

EngineRequest make_engine_request(const fs::path& model_dir, const ExecutionFlags& flags,
                                  int64_t batch_size, std::span<const SequenceRequest> workload,
                                  const OptConfig& config, BackendKind backend, std::ostream* log) {
  check_in_memory_flags(flags);
  STRATA_CHECK_INPUT(backend == BackendKind::cpu || !flags.policy_in_memory(),
                     "--policy in-memory runs on the CPU backend (its model keeps every weight in "
                     "RAM); with --backend cuda use --policy auto or give a policy");
  STRATA_CHECK_INPUT(!flags.policy_in_memory() || !is_store_dir(model_dir), model_dir.string(),
                     ": a converted store runs on the offloading executor; --policy in-memory "
                     "needs a Hugging Face directory");
  EngineRequest r{model_dir, flags, batch_size, 1, 1, backend, log, std::nullopt, true};
  for (const SequenceRequest& s : workload) {
    const int64_t len = int64_t(s.prompt_ids.size());
    r.prompt_len = std::max(r.prompt_len, len);
    r.gen_len = std::max(r.gen_len, std::min(s.max_new_tokens, config.max_positions - len));
  }
  plan_engine_request(r, std::max<int64_t>(1, int64_t(workload.size())));
  return r;
}

bool plan_runs_in_memory(const EngineRequest& r) {
  if (!r.plan || !r.plan_may_run_in_memory || r.flags.needs_executor() ||
      is_store_dir(r.model_dir) || r.backend != BackendKind::cpu) {
    return false;
  }
  const Policy& p = r.plan->policy;
  return p.weights.device == 1.0 && p.cache.device == 1.0 && p.activations.device == 1.0 &&
         p.compress_weight == Compression::kNone;
}

// The all-in-memory path's KV cache elements: --compress-cache, else the plan's, else fp32.
DType in_memory_cache_dtype(const EngineRequest& r) {
  if (!r.flags.compress_cache.empty()) {
    return cache_dtype_of(parse_compression_flag(r.flags.compress_cache, "--compress-cache"));
  }
  return r.plan ? cache_dtype_of(r.plan->policy.compress_cache) : DType::f32;
}

bool uses_executor(const EngineRequest& r) {
  if (r.flags.policy_in_memory()) return false;
  // The all-in-memory model computes on the CPU only; on a GPU even an all-on-device policy
  // runs through the executor, which places the weights in device memory.
  if (is_store_dir(r.model_dir) || r.backend != BackendKind::cpu) return true;
  return r.flags.any() && !plan_runs_in_memory(r);
}

namespace {

ExecutorOptions checked_options(const EngineRequest& r) {
  STRATA_CHECK(!r.flags.policy_auto() || r.plan.has_value(), "--policy auto: not planned");
  ExecutorOptions options = resolve_executor_options(r.flags, r.batch_size, warning_printer(r.log),
                                                     r.plan ? &r.plan->policy : nullptr);
  if (r.plan) options.capacities = r.plan->capacities;
  const OptConfig config = OptConfig::load(r.model_dir);
  if (is_store_dir(r.model_dir)) {
    check_store_quant(r.model_dir, options.compress_weight);
    const WeightStore opened = WeightStore::open(r.model_dir);
    check_policy_fits(config, WeightTiers::store_dtypes(opened), options, r.prompt_len, r.gen_len);
  } else {
    const HfCheckpoint ckpt = HfCheckpoint::open(r.model_dir);
    check_policy_fits(config, converted_dtypes(checkpoint_dtypes(ckpt), options.compress_weight),
                      options, r.prompt_len, r.gen_len);
  }
  return options;
}

// Bytes by which the executor's own count of `o` passes each capacity (device, host, disk).
std::array<double, 3> overshoot(const OptConfig& config, const DTypeOf& dtypes,
                                const ExecutorOptions& o, const TierCapacities& caps,
                                int64_t prompt_len, int64_t gen_len) {
  const TierBytes need = planned_tier_bytes(config, dtypes, o.policy, prompt_len, gen_len);
  const std::optional<uint64_t> cap[3] = {caps.device, caps.host, caps.disk};
  std::array<double, 3> over{};
  for (Place p : {Place::device, Place::host, Place::disk}) {
    const size_t i = size_t(p);
    if (cap[i]) over[i] = double(need[p].total()) - double(*cap[i]);
  }
  return over;
}

}  // namespace

void plan_engine_request(EngineRequest& r, std::optional<int64_t> num_requests) {
  if (!r.flags.policy_auto() || r.plan) return;
  ExecutionFlags planning = r.flags;
  if (planning.gpu_batch_size == 0) planning.gpu_batch_size = planning.hand_batch_size;
  const AutoPlanRequest request{r.model_dir, &planning, r.prompt_len, r.gen_len, num_requests,
                                r.log, r.backend};
  const OptConfig config = OptConfig::load(r.model_dir);
  if (is_store_dir(r.model_dir)) {
    const WeightStore opened = WeightStore::open(r.model_dir);
    const DTypeOf dtypes = WeightTiers::store_dtypes(opened);
    r.plan = plan_auto_policy(request, [&](const ExecutorOptions& o, const TierCapacities& caps) {
      return overshoot(config, dtypes, o, caps, r.prompt_len, r.gen_len);
    });
  } else {
    const HfCheckpoint ckpt = HfCheckpoint::open(r.model_dir);
    r.plan = plan_auto_policy(request, [&](const ExecutorOptions& o, const TierCapacities& caps) {
      return overshoot(config, converted_dtypes(checkpoint_dtypes(ckpt), o.compress_weight), o,
                       caps, r.prompt_len, r.gen_len);
    });
  }
}

ExecutorOptions engine_options(const EngineRequest& r) { return checked_options(r); }

void check_engine_request(const EngineRequest& r) {
  if (uses_executor(r)) checked_options(r);
}

GenerationEngine make_generation_engine(const EngineRequest& r, const BpeTokenizer& tokenizer) {
  GenerationEngine engine;
  const bool executor = uses_executor(r);
  if (r.plan && r.log != nullptr) {
    *r.log << "strata: " << r.plan->summary
           << (executor ? "" : "; all on the device: generating in memory, a block at a time")
           << std::endl;
  }
  if (!executor) {
    engine.model = std::make_unique<OptModel>(OptModel::load(r.model_dir));
    engine.backend = make_backend(r.backend, warning_printer(r.log));
    engine.generator = std::make_unique<Generator>(*engine.model, tokenizer, *engine.backend,
                                                   in_memory_cache_dtype(r));
    engine.batch_size = size_t(r.batch_size);
    // Everything planned onto the device: the same tokens as the executor, without the store.
    if (r.plan) engine.batch_size = size_t(r.plan->policy.block_size());
    return engine;
  }
  // Before any weight is read or converted: does the policy fit the capacities?
  const ExecutorOptions options = checked_options(r);
  const fs::path store_dir = store_for(r.model_dir, r.flags.offload_dir, r.log,
                                       options.compress_weight);
  engine.backend = make_backend(r.backend, warning_printer(r.log));
  auto block = std::make_unique<BlockGenerator>(store_dir, tokenizer, *engine.backend, options);
  engine.executor = block.get();
  engine.batch_size = size_t(block->block_size());
  engine.generator = std::move(block);
  return engine;
}

void GenerationEngine::print_report(std::ostream& out) const {
  if (executor != nullptr) out << "strata: " << executor->report().summary() << std::endl;
}

}  // namespace strata::cli
