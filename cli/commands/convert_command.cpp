// strata convert: a Hugging Face OPT directory into a Strata weight store (docs/store.md), or
// --verify of an existing store's checksums.
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "common/error.h"
#include "engine/core/dtype.h"
#include "engine/io/store_writer.h"
#include "engine/models/model_family.h"
#include "offload/weight_store.h"

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

struct ConvertFlags {
  fs::path model;
  fs::path out;
  fs::path verify;
  std::string quant = "none";
  bool force = false;
  bool quiet = false;
};

WarningSink warning_printer(bool quiet) {
  if (quiet) return {};
  return [](const std::string& line) { std::cerr << "strata: warning: " << line << std::endl; };
}

// The manifest against the model its config.json describes: every tensor of the family's table
// present with its shape and a dtype the executor reads (a quantized one only where the table
// allows), and nothing else. Checksums alone pass a store whose manifest lost a tensor.
void check_against_config(const WeightStore& store, StoreVerifyReport& report) {
  const std::string manifest = (store.dir() / std::string(StoreManifest::kFileName)).string();
  ModelSpec spec;
  try {
    spec = model_spec(read_model_config(store.dir()));
  } catch (const InputError& e) {
    report.problems.push_back({(store.dir() / "config.json").string(), "", e.what()});
    return;
  }
  for (const TensorSpec& t : spec.tensors.tensors) {
    const StoreTensor* stored = store.find(t.name);
    if (stored == nullptr) {
      report.problems.push_back({manifest, t.name, "missing (config.json's model has it)"});
      continue;
    }
    const std::optional<TensorFormat> format = parse_tensor_format(stored->dtype);
    if (stored->shape != t.shape) {
      report.problems.push_back({manifest, t.name, "shape differs from config.json's"});
    } else if (!format || (is_quantized(format->dtype) && !t.quantizable)) {
      report.problems.push_back({manifest, t.name, str_cat("dtype ", stored->dtype,
                                                           " is not one this tensor may have")});
    }
  }
  for (const StoreTensor& stored : store.tensors()) {
    if (spec.tensors.find(stored.name) == nullptr) {
      report.problems.push_back({manifest, stored.name, "not a tensor of config.json's model"});
    }
  }
}

// One line per bad tensor or file on stdout, then a summary; exit 1 if anything is bad.
int run_verify(const ConvertFlags& f) {
  WeightStoreOptions options;
  options.io.warn = warning_printer(f.quiet);
  options.check_side_files = false;  // verify() reports them with everything else
  WeightStore store = WeightStore::open(f.verify, options);
  StoreVerifyReport report = store.verify();
  check_against_config(store, report);
  for (const StoreProblem& p : report.problems) std::cout << p.line() << "\n";
  const size_t total = store.manifest().tensors.size() + store.manifest().side_files.size();
  std::cout << f.verify.string() << ": " << std::fixed << std::setprecision(2)
            << double(report.bytes_checked) / (1 << 20) << " MiB checked, ";
  if (report.ok()) {
    std::cout << "all " << store.manifest().tensors.size() << " tensors and "
              << store.manifest().side_files.size() << " side files match their checksums"
              << std::endl;
    return kExitOk;
  }
  std::cout << report.problems.size() << " problem(s) in " << total
            << " tensors and side files" << std::endl;
  return kExitFailure;
}

int run_convert(const ConvertFlags& f) {
  const WeightQuant quant = parse_weight_quant(f.quant, "--quant");  // first: a typo costs nothing
  STRATA_CHECK_INPUT(!f.model.empty() && !f.out.empty(),
                     "convert: give --model HF_DIR --out STORE, or --verify STORE");
  std::error_code ec;
  STRATA_CHECK_INPUT(!fs::exists(f.out, ec) || f.force, f.out.string(),
                     ": already exists (pass --force to replace it)");
  STRATA_CHECK_INPUT(!fs::exists(f.out, ec) || !fs::equivalent(f.out, f.model, ec), f.out.string(),
                     ": is the model directory itself; choose another --out");
  ConvertOptions options;
  options.quant = quant;
  options.model_dir = f.model;
  options.store_dir = f.out;
  options.writer.existing = f.force ? WeightStoreWriterOptions::Existing::replace
                                    : WeightStoreWriterOptions::Existing::refuse;
  options.writer.io.warn = warning_printer(f.quiet);
  options.progress = f.quiet ? nullptr : &std::cerr;
  const ConvertSummary s = convert_hf_to_store(options);
  if (!f.quiet) {
    std::cerr << "strata: wrote " << f.out.string() << ": " << s.tensors << " tensors in "
              << s.files << " files, " << std::fixed << std::setprecision(2)
              << double(s.bytes) / (1 << 20) << " MiB (weights " << weight_quant_name(options.quant)
              << ") in " << std::setprecision(1) << s.seconds
              << " s" << std::endl;
  }
  return kExitOk;
}

}  // namespace

Command add_convert_command(CLI::App& parent) {
  auto flags = std::make_shared<ConvertFlags>();
  CLI::App* app = parent.add_subcommand(
      "convert", "Convert a Hugging Face OPT directory into a Strata weight store (4096-aligned, "
                 "checksummed, one file per layer), or verify a store's checksums");
  app->footer(
      "Examples:\n"
      "  strata convert --model models/opt-125m --out stores/opt-125m\n"
      "  strata convert --model models/opt-125m --out stores/opt-125m-w4 --quant w4g64\n"
      "  strata convert --verify stores/opt-125m   (exit 0: all good; 1: one line per bad "
      "tensor)");
  CLI::Option* model = app->add_option("--model", flags->model, "Hugging Face OPT model directory");
  CLI::Option* out = app->add_option("--out", flags->out, "Store directory to create");
  CLI::Option* verify = app->add_option("--verify", flags->verify,
                                        "Check every checksum of this store instead");
  CLI::Option* quant = app->add_option(
      "--quant", flags->quant,
      "Store the decoder layers' linear weights pre-quantized, group-wise along each row: "
      "none (default), w4g64, w8g64, or w4gN / w8gN (N: group size, a multiple of 8 in [8, 8192])");
  CLI::Option* force = app->add_flag("--force", flags->force, "Replace an existing store at --out");
  app->add_flag("--quiet,-q", flags->quiet, "Print nothing but errors (and --verify's report)");
  verify->excludes(model)->excludes(out)->excludes(force)->excludes(quant);
  return {app, [flags] { return flags->verify.empty() ? run_convert(*flags) : run_verify(*flags); }};
}

}  // namespace strata::cli
