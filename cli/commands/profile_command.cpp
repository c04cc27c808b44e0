// strata profile: measures this machine's hardware profile (bandwidths, compute rates,
// capacities) for the planner and caches it, so that plan/run/bench plan from real figures.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "cli/plan/plan_options.h"
#include "cli/profile/hardware_probe.h"
#include "common/error.h"
#include "planner/byte_size.h"
#include "planner/hardware_profile_yaml.h"

namespace strata::cli {

Command add_profile_command(CLI::App& parent) {
  auto out = std::make_shared<std::string>();
  auto offload_dir = std::make_shared<std::string>(std::filesystem::temp_directory_path().string());
  auto device_mem = std::make_shared<std::string>();
  auto backend = std::make_shared<std::string>("auto");
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = parent.add_subcommand(
      "profile", "Measure this machine for the planner: host<->device copies, disk read/write "
                 "through io_uring, GEMM and attention throughput, memory capacities");
  app->add_option("-o,--output", *out, "Where to write the profile YAML (default: the per-machine "
                  "cache that plan, run and bench read: " + cached_profile_path().string() + ")");
  app->add_option("--offload-dir", *offload_dir, "Directory on the disk to offload to; a 256 MiB "
                  "test file is written and removed there")
      ->capture_default_str();
  app->add_option("--device-mem", *device_mem, "Device memory Strata may use (default on the CPU "
                  "backend: a quarter of RAM)");
  add_backend_option(*app, *backend);
  app->add_flag("--quiet,-q", *quiet, "Print nothing but errors");
  app->footer("Takes well under a minute. Example: strata profile --offload-dir /mnt/nvme/strata");
  return {app, [=] {
            STRATA_CHECK_INPUT(std::filesystem::is_directory(*offload_dir), "--offload-dir ",
                               *offload_dir, ": no such directory");
            const BackendChoice choice = choose_backend(parse_backend_request(*backend));
            if (!choice.notice.empty() && !*quiet) std::cerr << "strata: " << choice.notice << "\n";
            STRATA_CHECK_INPUT(choice.kind == BackendKind::cpu,
                               "--backend cuda: the CUDA profiler is not built yet");
            const std::unique_ptr<Backend> be = make_backend(choice.kind);
            ProbeOptions o;
            o.offload_dir = *offload_dir;
            if (!device_mem->empty()) {
              const auto bytes = parse_byte_size(*device_mem);
              STRATA_CHECK_INPUT(bytes.has_value(), "--device-mem: '", *device_mem,
                                 "' is not a size (examples: 16GiB, 512MiB)");
              o.device_capacity_bytes = *bytes;
            }
            if (!*quiet) o.say = [](const std::string& line) { std::cerr << "strata: " << line << "\n"; };
            const HardwareProfile p = probe_hardware(*be, o);
            const std::filesystem::path path = out->empty() ? cached_profile_path()
                                                            : std::filesystem::path(*out);
            if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
            write_hardware_profile_yaml(p, path.string());
            if (!*quiet) std::cerr << "strata: wrote " << path.string() << "\n";
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
