#include "planner/hardware_profile_yaml.h"

#include <utility>

#include "common/error.h"
#include "planner/yaml_reader.h"

namespace strata {

namespace {

enum class FieldKind { kRate, kCapacity };

struct Field {
  const char* key;
  double HardwareProfile::*member;
  FieldKind kind;
};

const Field kFields[] = {
    {"host_to_device_bytes_per_s", &HardwareProfile::host_to_device_bytes_per_s, FieldKind::kRate},
    {"device_to_host_bytes_per_s", &HardwareProfile::device_to_host_bytes_per_s, FieldKind::kRate},
    {"disk_read_bytes_per_s", &HardwareProfile::disk_read_bytes_per_s, FieldKind::kRate},
    {"disk_write_bytes_per_s", &HardwareProfile::disk_write_bytes_per_s, FieldKind::kRate},
    {"device_gemm_prefill_flops", &HardwareProfile::device_gemm_prefill_flops, FieldKind::kRate},
    {"device_gemm_decode_flops", &HardwareProfile::device_gemm_decode_flops, FieldKind::kRate},
    {"device_memory_bytes_per_s", &HardwareProfile::device_memory_bytes_per_s, FieldKind::kRate},
    {"device_attention_bytes_per_s", &HardwareProfile::device_attention_bytes_per_s,
     FieldKind::kRate},
    {"host_attention_bytes_per_s", &HardwareProfile::host_attention_bytes_per_s, FieldKind::kRate},
    {"cpu_flops", &HardwareProfile::cpu_flops, FieldKind::kRate},
    {"dram_bytes_per_s", &HardwareProfile::dram_bytes_per_s, FieldKind::kRate},
    {"device_capacity", &HardwareProfile::device_capacity_bytes, FieldKind::kCapacity},
    {"host_capacity", &HardwareProfile::host_capacity_bytes, FieldKind::kCapacity},
    {"disk_capacity", &HardwareProfile::disk_capacity_bytes, FieldKind::kCapacity},
};
constexpr const char* kActivationKey = "activation_bytes_per_element";
constexpr const char* kGemmPassKey = "gemm_weight_pass";
constexpr const char* kIoShareKey = "io_compute_share";
constexpr const char* kProbeVersionKey = "probe_version";
// Optional numbers, 0 when absent (not measured).
const std::pair<const char*, double HardwareProfile::*> kOptional[] = {
    {"device_gemm_small_prefill_flops", &HardwareProfile::device_gemm_small_prefill_flops},
    {"copy_compute_share", &HardwareProfile::copy_compute_share},
    {"device_elementwise_bytes_per_s", &HardwareProfile::device_elementwise_bytes_per_s},
    {"device_op_seconds", &HardwareProfile::device_op_seconds},
};

std::string known_keys() {
  std::string s = "name";
  for (const Field& f : kFields) s += std::string(", ") + f.key;
  s += std::string(", ") + kActivationKey + ", " + kGemmPassKey + ", " + kIoShareKey + ", " +
       kProbeVersionKey;
  for (const auto& [key, member] : kOptional) s += std::string(", ") + key;
  return s;
}

GemmWeightPass read_gemm_pass(YamlReader& r) {
  const std::string text = r.text(kGemmPassKey);
  for (GemmWeightPass pass : {GemmWeightPass::kOverlapped, GemmWeightPass::kSerial}) {
    if (text == to_string(pass)) return pass;
  }
  r.fail(kGemmPassKey, "expected overlapped or serial, got '" + text + "'");
}

int read_probe_version(YamlReader& r) {
  const int64_t v = r.integer(kProbeVersionKey);
  if (v < 0 || v > 1000000) r.fail(kProbeVersionKey, "expected a version number, got " + std::to_string(v));
  return int(v);
}

HardwareProfile read_profile(const YAML::Node& root, const std::string& source) {
  YamlReader r(root, source);
  HardwareProfile p;
  if (r.has("name")) p.name = r.text("name");
  if (r.has(kProbeVersionKey)) p.probe_version = read_probe_version(r);
  for (const Field& f : kFields) {
    p.*f.member = f.kind == FieldKind::kCapacity ? r.bytes(f.key) : r.number(f.key);
  }
  p.activation_bytes_per_element = r.integer(kActivationKey);
  // Optional: profiles written before it existed describe overlapped (GPU-style) GEMMs.
  if (r.has(kGemmPassKey)) p.gemm_weight_pass = read_gemm_pass(r);
  if (r.has(kIoShareKey)) p.io_compute_share = r.number(kIoShareKey);  // optional, default 0
  for (const auto& [key, member] : kOptional) {
    if (r.has(key)) p.*member = r.number(key);
  }
  r.reject_unknown(known_keys());
  try {
    validate(p);
  } catch (const InputError& e) {
    fail_input(source, ": ", e.what());
  }
  return p;
}

}  // namespace

HardwareProfile read_hardware_profile_yaml(const std::string& path) {
  return read_profile(load_yaml_file(path), path);
}

HardwareProfile parse_hardware_profile_yaml(const std::string& text, const std::string& source) {
  return read_profile(load_yaml_text(text, source), source);
}

std::string hardware_profile_to_yaml(const HardwareProfile& p) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!p.name.empty()) out << YAML::Key << "name" << YAML::Value << p.name;
  if (p.probe_version > 0) out << YAML::Key << kProbeVersionKey << YAML::Value << p.probe_version;
  // Exact numbers (bytes for capacities) so a written profile reads back identical.
  for (const Field& f : kFields) {
    out << YAML::Key << f.key << YAML::Value << shortest_double(p.*f.member);
  }
  out << YAML::Key << kActivationKey << YAML::Value << p.activation_bytes_per_element;
  out << YAML::Key << kGemmPassKey << YAML::Value << to_string(p.gemm_weight_pass);
  out << YAML::Key << kIoShareKey << YAML::Value << shortest_double(p.io_compute_share);
  for (const auto& [key, member] : kOptional) {
    if (p.*member > 0) out << YAML::Key << key << YAML::Value << shortest_double(p.*member);
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_hardware_profile_yaml(const HardwareProfile& profile, const std::string& path) {
  validate(profile);
  write_text_file(path, hardware_profile_to_yaml(profile));
}

void set_hardware_field(HardwareProfile& p, const std::string& key, const std::string& value) {
  // Reuse the YAML reader's parsing and messages on a one-entry mapping.
  YAML::Node node;
  node[key] = value;
  YamlReader r(node, "override " + key + "=" + value);
  if (key == "name") {
    p.name = value;
    return;
  }
  if (key == kActivationKey) {
    p.activation_bytes_per_element = r.integer(key);
    return;
  }
  if (key == kGemmPassKey) {
    p.gemm_weight_pass = read_gemm_pass(r);
    return;
  }
  if (key == kIoShareKey) {
    p.io_compute_share = r.number(key);
    return;
  }
  if (key == kProbeVersionKey) {
    p.probe_version = read_probe_version(r);
    return;
  }
  for (const auto& [optional_key, member] : kOptional) {
    if (key != optional_key) continue;
    p.*member = r.number(key);
    return;
  }
  for (const Field& f : kFields) {
    if (key != f.key) continue;
    p.*f.member = f.kind == FieldKind::kCapacity ? r.bytes(key) : r.number(key);
    return;
  }
  fail_input("unknown hardware profile field '", key, "' (known: ", known_keys(), ")");
}

std::vector<std::string> hardware_field_names() {
  std::vector<std::string> names{"name"};
  for (const Field& f : kFields) names.emplace_back(f.key);
  names.emplace_back(kActivationKey);
  names.emplace_back(kGemmPassKey);
  names.emplace_back(kIoShareKey);
  names.emplace_back(kProbeVersionKey);
  for (const auto& [key, member] : kOptional) names.emplace_back(key);
  return names;
}

}  // namespace strata
