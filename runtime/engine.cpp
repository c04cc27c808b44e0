#include "runtime/engine.h"

#include <ostream>

#include "common/error.h"
#include "engine/executor/capacity_check.h"
#include "engine/io/weight_source.h"
#include "runtime/store_cache.h"

namespace strata {

void check_capacity(const ModelSource& source, const EngineSettings& s) {
  const std::optional<TensorFormat> quant = weight_format_of(s.options.policy.compress_weight);
  if (source.is_store()) check_store_quant(source.dir(), source.store_quant(), quant);
  check_policy_fits(*source.model(), source.formats(s.options.policy.compress_weight), s.options,
                    s.prompt_len, s.gen_len);
}

Engine build_engine(ModelSource& source, const EngineSettings& s) {
  const Policy& policy = s.options.policy;
  const std::optional<TensorFormat> quant = weight_format_of(policy.compress_weight);
  Engine engine;
  std::unique_ptr<WeightSource> weights;
  if (source.is_store()) {
    weights = store_source(source.take_store());
  } else if (policy.weights.disk <= 0 && !quant) {
    weights = checkpoint_source(source.checkpoint());
    engine.reads_checkpoint = true;
  } else {
    STRATA_CHECK_INPUT(!s.store_cache.empty(), "no cache folder for the converted model: give "
                       "--offload-dir (neither XDG_CACHE_HOME nor HOME is set)");
    const std::filesystem::path store = cached_store(source.dir(), *source.model(),
                                                     *source.checkpoint(), s.store_cache, s.log,
                                                     quant);
    WeightStoreOptions options;
    options.io.warn = s.options.warn;
    weights = store_source(WeightStore::open(store, options));
  }
  std::function<void(const std::string&)> warn;
  if (s.log != nullptr) {
    std::ostream* log = s.log;
    warn = [log](const std::string& line) { *log << "strata: warning: " << line << std::endl; };
  }
  engine.backend = make_backend(s.backend, warn, s.cpu_threads);
  engine.generator = std::make_unique<BlockGenerator>(source.model(), std::move(weights),
                                                      source.tokenizer(), *engine.backend,
                                                      s.options);
  return engine;
}

}  // namespace strata
