// Hardware profile YAML: round trip of the T4 preset, capacities with units, overrides, errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "planner/byte_size.h"
#include "planner/hardware_profile_yaml.h"

namespace strata {
namespace {

TEST_CASE("T4 preset is valid and round-trips exactly", "[planner]") {
  const HardwareProfile t4 = t4_flexgen_profile();
  CHECK_NOTHROW(validate(t4));
  const std::string text = hardware_profile_to_yaml(t4);
  const HardwareProfile back = parse_hardware_profile_yaml(text, "t4.yaml");
  CHECK(back.name == "t4-flexgen");
  CHECK(back.host_to_device_bytes_per_s == t4.host_to_device_bytes_per_s);
  CHECK(back.device_gemm_decode_flops == t4.device_gemm_decode_flops);
  CHECK(back.device_capacity_bytes == t4.device_capacity_bytes);
  CHECK(back.disk_capacity_bytes == t4.disk_capacity_bytes);
  CHECK(back.activation_bytes_per_element == 2);
  CHECK(hardware_profile_to_yaml(back) == text);
}

TEST_CASE("capacities accept units and overrides set one field", "[planner]") {
  CHECK(*parse_byte_size("15 GiB") == 15.0 * 1024 * 1024 * 1024);
  CHECK(*parse_byte_size("1.5TB") == 1.5e12);
  CHECK(*parse_byte_size("4096") == 4096.0);
  CHECK_FALSE(parse_byte_size("15 GiBs"));
  CHECK_FALSE(parse_byte_size("-1 GB"));
  HardwareProfile p = t4_flexgen_profile();
  set_hardware_field(p, "host_capacity", "64 GiB");
  CHECK(p.host_capacity_bytes == 64.0 * 1024 * 1024 * 1024);
  set_hardware_field(p, "disk_read_bytes_per_s", "3.5e9");
  CHECK(p.disk_read_bytes_per_s == 3.5e9);
  CHECK_THROWS_WITH(set_hardware_field(p, "gpu_memory", "16 GiB"),
                    Catch::Contains("'gpu_memory'") && Catch::Contains("device_capacity"));
  CHECK_THROWS_WITH(set_hardware_field(p, "cpu_flops", "fast"),
                    Catch::Contains("cpu_flops") && Catch::Contains("'fast'"));
  CHECK(hardware_field_names().size() == 23);
}

TEST_CASE("elementwise rate and op cost: optional, round-trip, checked", "[planner]") {
  HardwareProfile p = t4_flexgen_profile();
  CHECK(p.device_elementwise_bytes_per_s == 0);  // not charged
  CHECK(p.device_op_seconds == 0);
  std::string text = hardware_profile_to_yaml(p);
  CHECK(text.find("device_op_seconds") == std::string::npos);
  set_hardware_field(p, "device_elementwise_bytes_per_s", "8.5e9");
  set_hardware_field(p, "device_op_seconds", "3e-6");
  const HardwareProfile back = parse_hardware_profile_yaml(hardware_profile_to_yaml(p), "hw.yaml");
  CHECK(back.device_elementwise_bytes_per_s == 8.5e9);
  CHECK(back.device_op_seconds == 3e-6);
  p.device_op_seconds = -1;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("device_op_seconds"));
  p.device_op_seconds = 0;
  p.device_elementwise_bytes_per_s = std::nan("");
  CHECK_THROWS_WITH(validate(p), Catch::Contains("device_elementwise_bytes_per_s"));
  CHECK_THROWS_WITH(parse_hardware_profile_yaml(text + "device_op_seconds: soon\n", "hw.yaml"),
                    Catch::Contains("hw.yaml") && Catch::Contains("device_op_seconds"));
}

TEST_CASE("probe_version: optional, round-trip, checked", "[planner]") {
  HardwareProfile p = t4_flexgen_profile();
  CHECK(p.probe_version == 0);  // published figures, not measured by a probe
  std::string text = hardware_profile_to_yaml(p);
  CHECK(text.find("probe_version") == std::string::npos);
  CHECK(parse_hardware_profile_yaml(text, "hw.yaml").probe_version == 0);
  set_hardware_field(p, "probe_version", std::to_string(kProbeVersion));
  text = hardware_profile_to_yaml(p);
  CHECK(parse_hardware_profile_yaml(text, "hw.yaml").probe_version == kProbeVersion);
  CHECK_THROWS_WITH(set_hardware_field(p, "probe_version", "-1"),
                    Catch::Contains("probe_version") && Catch::Contains("-1"));
  CHECK_THROWS_WITH(set_hardware_field(p, "probe_version", "new"),
                    Catch::Contains("probe_version") && Catch::Contains("new"));
}

TEST_CASE("gemm_weight_pass and io_compute_share: optional, round-trip, checked", "[planner]") {
  HardwareProfile p = t4_flexgen_profile();
  CHECK(p.gemm_weight_pass == GemmWeightPass::kOverlapped);
  set_hardware_field(p, "gemm_weight_pass", "serial");
  CHECK(p.gemm_weight_pass == GemmWeightPass::kSerial);
  std::string text = hardware_profile_to_yaml(p);
  CHECK(text.find("gemm_weight_pass: serial") != std::string::npos);
  CHECK(parse_hardware_profile_yaml(text, "hw.yaml").gemm_weight_pass == GemmWeightPass::kSerial);
  // A profile written before the field existed reads as overlapped.
  const size_t at = text.find("gemm_weight_pass");
  text.erase(at, text.find('\n', at) - at + 1);
  CHECK(parse_hardware_profile_yaml(text, "hw.yaml").gemm_weight_pass ==
        GemmWeightPass::kOverlapped);
  CHECK(parse_hardware_profile_yaml(text, "hw.yaml").io_compute_share == 0);
  set_hardware_field(p, "io_compute_share", "0.45");
  CHECK(parse_hardware_profile_yaml(hardware_profile_to_yaml(p), "hw.yaml").io_compute_share ==
        0.45);
  p.io_compute_share = 1.5;
  CHECK_THROWS_WITH(validate(p), Catch::Contains("io_compute_share"));
  CHECK_THROWS_WITH(parse_hardware_profile_yaml(text + "gemm_weight_pass: fused\n", "hw.yaml"),
                    Catch::Contains("hw.yaml") && Catch::Contains("gemm_weight_pass") &&
                        Catch::Contains("'fused'"));
}

TEST_CASE("bad profile YAML names file, line and field", "[planner]") {
  std::string text = hardware_profile_to_yaml(t4_flexgen_profile());
  SECTION("unknown key") {
    CHECK_THROWS_WITH(parse_hardware_profile_yaml(text + "pcie_gen: 3\n", "hw.yaml"),
                      Catch::Contains("hw.yaml") && Catch::Contains("unknown field 'pcie_gen'"));
  }
  SECTION("missing key") {
    const size_t at = text.find("cpu_flops");
    text.erase(at, text.find('\n', at) - at + 1);
    CHECK_THROWS_WITH(parse_hardware_profile_yaml(text, "hw.yaml"),
                      Catch::Contains("hw.yaml") && Catch::Contains("missing field cpu_flops"));
  }
  SECTION("bad capacity names its line") {
    const size_t at = text.find("device_capacity:");
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    text.replace(at, text.find('\n', at) - at, "device_capacity: lots");
    CHECK_THROWS_WITH(parse_hardware_profile_yaml(text, "hw.yaml"),
                      Catch::Contains("hw.yaml:" + std::to_string(line) + ":") &&
                          Catch::Contains("field device_capacity") && Catch::Contains("'lots'"));
  }
  SECTION("non-positive rate") {
    HardwareProfile p = t4_flexgen_profile();
    p.disk_write_bytes_per_s = 0;
    CHECK_THROWS_WITH(validate(p), Catch::Contains("disk_write_bytes_per_s"));
  }
}

}  // namespace
}  // namespace strata
