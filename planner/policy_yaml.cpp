#include "planner/policy_yaml.h"

#include <array>

#include "common/error.h"
#include "planner/yaml_reader.h"

namespace strata {

namespace {

constexpr const char* kKnown =
    "gpu_batch_size, num_gpu_batches, weights, cache, activations, percent, cpu_attention, "
    "compress_weight, compress_cache, overlap";
constexpr DataKind kKinds[3] = {DataKind::kWeights, DataKind::kCache, DataKind::kActivations};
constexpr const char* kKindKeys[3] = {"weights", "cache", "activations"};

Placement read_placement(YamlReader map) {
  Placement p{0.0, 0.0, 0.0};
  if (map.has("device")) p.device = map.number("device");
  if (map.has("host")) p.host = map.number("host");
  if (map.has("disk")) p.disk = map.number("disk");
  map.reject_unknown("device, host, disk");
  return p;
}

Compression read_compression(YamlReader& r, const std::string& key) {
  const std::string text = r.text(key);
  for (Compression c : {Compression::kNone, Compression::kQ4, Compression::kQ8}) {
    if (text == to_string(c)) return c;
  }
  r.fail(key, "expected none, q4 or q8, got '" + text + "'");
}

Policy read_policy(const YAML::Node& root, const std::string& source) {
  YamlReader r(root, source);
  Policy p;
  p.gpu_batch_size = r.integer("gpu_batch_size");
  p.num_gpu_batches = r.integer("num_gpu_batches");
  if (r.has("percent")) {
    for (const char* key : kKindKeys) {
      if (r.has(key)) r.fail(key, "give either percent or the three placements, not both");
    }
    const YAML::Node list = r.sequence("percent");
    if (list.size() != 6) r.fail("percent", "expected 6 numbers W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST");
    std::array<double, 6> percent{};
    for (size_t i = 0; i < 6; ++i) {
      try {
        percent[i] = list[i].as<double>();
      } catch (const YAML::Exception&) {
        r.fail("percent", "entry " + std::to_string(i + 1) + " is not a number");
      }
    }
    set_flexgen_percent(p, percent);
  } else {
    for (int k = 0; k < 3; ++k) placement(p, kKinds[k]) = read_placement(r.map(kKindKeys[k]));
  }
  if (r.has("cpu_attention")) {
    p.attention = r.boolean("cpu_attention") ? AttentionPlace::kHost : AttentionPlace::kDevice;
  }
  if (r.has("compress_weight")) p.compress_weight = read_compression(r, "compress_weight");
  if (r.has("compress_cache")) p.compress_cache = read_compression(r, "compress_cache");
  if (r.has("overlap")) p.overlap = r.boolean("overlap") ? Overlap::kOn : Overlap::kOff;
  r.reject_unknown(kKnown);
  try {
    validate(p);
  } catch (const InputError& e) {
    fail_input(source, ": ", e.what());
  }
  return p;
}

}  // namespace

Policy read_policy_yaml(const std::string& path) { return read_policy(load_yaml_file(path), path); }

Policy parse_policy_yaml(const std::string& text, const std::string& source) {
  return read_policy(load_yaml_text(text, source), source);
}

std::string policy_to_yaml(const Policy& p) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "gpu_batch_size" << YAML::Value << p.gpu_batch_size;
  out << YAML::Key << "num_gpu_batches" << YAML::Value << p.num_gpu_batches;
  for (int k = 0; k < 3; ++k) {
    const Placement& pl = placement(p, kKinds[k]);
    out << YAML::Key << kKindKeys[k] << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "device" << YAML::Value << shortest_double(pl.device);
    out << YAML::Key << "host" << YAML::Value << shortest_double(pl.host);
    out << YAML::Key << "disk" << YAML::Value << shortest_double(pl.disk);
    out << YAML::EndMap;
  }
  out << YAML::Key << "cpu_attention" << YAML::Value << (p.attention == AttentionPlace::kHost);
  out << YAML::Key << "compress_weight" << YAML::Value << to_string(p.compress_weight);
  out << YAML::Key << "compress_cache" << YAML::Value << to_string(p.compress_cache);
  out << YAML::Key << "overlap" << YAML::Value << (p.overlap == Overlap::kOn);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_policy_yaml(const Policy& policy, const std::string& path) {
  validate(policy);
  write_text_file(path, policy_to_yaml(policy));
}

}  // namespace strata
