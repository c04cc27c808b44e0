// strata profile: measures this machine's hardware profile (bandwidths, compute rates,
// capacities) for the planner and caches it per backend (CPU or CUDA), so that plan/run/bench
// plan from real figures.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/execution_flags.h"
#include "cli/flag_checks.h"
#include "cli/plan/plan_options.h"
#include "runtime/profile/hardware_probe.h"
#include "common/error.h"
#include "planner/byte_size.h"
#include "planner/hardware_profile_yaml.h"

namespace strata::cli {
namespace {

// choose_backend refuses cuda while the executor does not drive the CUDA backend; the profile
// measures the GPU anyway (so the planner has its figures), and make_backend(cuda) throws an
// InputError naming the reason when no GPU answers. A build without CUDA refuses in
// choose_backend with its own InputError.
BackendChoice choose_profile_backend(BackendRequest request) {
#ifdef STRATA_WITH_CUDA
  if (request == BackendRequest::cuda) return {BackendKind::cuda, ""};
#endif
  return choose_backend(request);
}

}  // namespace

Command add_profile_command(CLI::App& parent) {
  auto out = std::make_shared<std::string>();
  auto offload_dir = std::make_shared<std::string>(std::filesystem::temp_directory_path().string());
  auto device_mem = std::make_shared<std::string>();
  auto backend = std::make_shared<std::string>("auto");
  auto quiet = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(available_cpu_cores());
  CLI::App* app = parent.add_subcommand(
      "profile", "Measure this machine for the planner: host<->device copies (pinned and "
                 "pageable), disk read/write through io_uring, GEMM and attention throughput on "
                 "the backend's device and on the host, memory capacities");
  app->add_option("-o,--output", *out, "Where to write the profile YAML (default: the per-machine "
                  "cache that plan, run and bench read for the backend: " +
                  cached_profile_path(BackendKind::cpu).string() + "; with --backend cuda " +
                  cached_profile_path(BackendKind::cuda).string() + ")");
  app->add_option("--offload-dir", *offload_dir, "Directory on the disk to offload to; a 256 MiB "
                  "test file is written and removed there")
      ->capture_default_str();
  app->add_option("--device-mem", *device_mem, "Device memory Strata may use (default: a quarter "
                  "of RAM on the CPU backend, the GPU's total memory on CUDA)");
  add_backend_option(*app, *backend);
  add_threads_option(*app, *threads);
  app->add_flag("--quiet,-q", *quiet, "Print nothing but errors");
  app->footer("Takes well under a minute. Examples:\n"
              "  strata profile --offload-dir /mnt/nvme/strata\n"
              "  strata profile --backend cuda --offload-dir /mnt/nvme/strata   (the GPU's "
              "profile, cached apart from the CPU backend's)");
  return {app, [=] {
            STRATA_CHECK_INPUT(std::filesystem::is_directory(*offload_dir), "--offload-dir ",
                               *offload_dir, ": no such directory");
            const BackendChoice choice = choose_profile_backend(parse_backend_request(*backend));
            if (!choice.notice.empty() && !*quiet) std::cerr << "strata: " << choice.notice << "\n";
            // Said even with --quiet: a pinning fallback makes the copy figures pageable ones.
            const auto warn = [](const std::string& w) {
              std::cerr << "strata: warning: " << w << "\n";
            };
            const std::unique_ptr<Backend> be = make_backend(choice.kind, warn, *threads);
            ProbeOptions o;
            o.offload_dir = *offload_dir;
            if (!device_mem->empty()) {
              o.device_capacity_bytes = double(parse_size_flag(*device_mem, "--device-mem"));
            }
            if (!*quiet) o.say = [](const std::string& line) { std::cerr << "strata: " << line << "\n"; };
            const HardwareProfile p = probe_hardware(*be, o);
            const std::filesystem::path path = out->empty() ? cached_profile_path(choice.kind)
                                                            : std::filesystem::path(*out);
            if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
            write_hardware_profile_yaml(p, path.string());
            if (!*quiet) std::cerr << "strata: wrote " << path.string() << "\n";
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
