#include "runtime/store_cache.h"

#include <algorithm>
#include <functional>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "common/error.h"
#include "engine/io/store_writer.h"
#include "runtime/model_identity.h"
#include "runtime/model_source.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

WarningSink warning_printer(std::ostream* log) {
  if (log == nullptr) return {};
  return [log](const std::string& line) { *log << "strata: warning: " << line << std::endl; };
}

}  // namespace

void check_store_quant(const fs::path& store, const std::string& have,
                       const std::optional<TensorFormat>& quant) {
  if (!quant) return;
  const std::string want = quant->dtype == DType::q4 ? "w4g" : "w8g";
  STRATA_CHECK_INPUT(have.rfind(want, 0) == 0, store.string(), ": the store's weights are ",
                     have, ", but --compress-weight asks for ", dtype_name(quant->dtype),
                     "; convert with strata convert --quant ", want, "64, or drop the flag");
}

fs::path cached_store(const fs::path& model_dir, const ModelSpec& spec,
                      const HfCheckpoint& checkpoint, const fs::path& cache_root,
                      std::ostream* log, const std::optional<TensorFormat>& quant) {
  const std::string suffix = quant ? "-" + weight_quant_name(quant) : "";
  const fs::path store =
      cache_root / (fs::weakly_canonical(model_dir).filename().string() + "-" +
                    model_files_identity(model_dir) + suffix);
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
  convert_checkpoint_to_store(spec, checkpoint, options);
  return store;
}

}  // namespace strata
