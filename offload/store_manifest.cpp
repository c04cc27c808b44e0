#include "offload/store_manifest.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <set>

#include "common/error.h"

namespace strata {
namespace {

constexpr uint64_t kAlignment = 4096;

// Reads typed fields of one YAML mapping, turning every problem into an InputError that names
// the manifest and the field's path ("tensors[3].offset").
class FieldReader {
 public:
  FieldReader(const YAML::Node& node, std::string source, std::string where)
      : node_(node), source_(std::move(source)), where_(std::move(where)) {
    STRATA_CHECK_INPUT(node_.IsMap(), source_, ": ", where_, ": expected a mapping");
  }

  YAML::Node get(const char* field) const {
    const YAML::Node n = node_[field];
    STRATA_CHECK_INPUT(n.IsDefined() && !n.IsNull(), source_, ": ", path(field),
                       ": field is missing");
    return n;
  }

  std::string text(const char* field) const {
    const YAML::Node n = get(field);
    STRATA_CHECK_INPUT(n.IsScalar() && !n.Scalar().empty(), source_, ": ", path(field),
                       ": expected a non-empty string");
    return n.Scalar();
  }

  uint64_t u64(const char* field) const { return number<uint64_t>(get(field), path(field)); }

  template <typename T>
  T number(const YAML::Node& n, const std::string& at) const {
    try {
      STRATA_CHECK_INPUT(n.IsScalar() && !n.Scalar().empty() && n.Scalar()[0] != '-', source_,
                         ": ", at, ": expected a non-negative integer, got '",
                         n.IsScalar() ? n.Scalar() : std::string("a non-scalar"), "'");
      return n.as<T>();
    } catch (const YAML::Exception&) {
      fail_input(source_, ": ", at, ": expected a non-negative integer, got '", n.Scalar(), "'");
    }
  }

  uint32_t crc(const char* field) const {
    const std::string s = text(field);
    unsigned value = 0;
    int used = 0;
    const bool ok = s.size() == 8 && std::sscanf(s.c_str(), "%8x%n", &value, &used) == 1 && used == 8;
    STRATA_CHECK_INPUT(ok, source_, ": ", path(field), ": expected 8 hex digits, got '", s, "'");
    return uint32_t(value);
  }

  std::string path(const char* field) const { return where_ + "." + field; }

 private:
  const YAML::Node node_;  // a handle, held by value: callers pass temporaries (files[i])
  std::string source_;
  std::string where_;
};

YAML::Node sequence(const YAML::Node& root, const char* field, const std::string& source) {
  const YAML::Node n = root[field];
  if (!n.IsDefined() || n.IsNull()) return YAML::Node(YAML::NodeType::Sequence);
  STRATA_CHECK_INPUT(n.IsSequence(), source, ": ", field, ": expected a list");
  return n;
}

void check_file_name(const std::string& name, const std::string& source, const std::string& at) {
  STRATA_CHECK_INPUT(name.find('/') == std::string::npos && name != "." && name != "..",
                     source, ": ", at, ": '", name, "' must be a plain file name in the store");
}

StoreTensor parse_tensor(const YAML::Node& n, size_t i, const std::string& source) {
  const FieldReader r(n, source, str_cat("tensors[", i, "]"));
  StoreTensor t;
  t.name = r.text("name");
  const FieldReader named(n, source, str_cat("tensors[", i, "] (", t.name, ")"));
  t.dtype = named.text("dtype");
  const YAML::Node shape = named.get("shape");
  STRATA_CHECK_INPUT(shape.IsSequence(), source, ": ", named.path("shape"), ": expected a list");
  uint64_t elements = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    const auto dim = named.number<uint64_t>(shape[d], str_cat(named.path("shape"), "[", d, "]"));
    t.shape.push_back(int64_t(dim));
    elements *= dim;
  }
  t.file = named.text("file");
  check_file_name(t.file, source, named.path("file"));
  t.offset = named.u64("offset");
  t.length = named.u64("length");
  t.crc32c = named.crc("crc32c");
  STRATA_CHECK_INPUT(t.offset % kAlignment == 0, source, ": ", named.path("offset"), ": ",
                     t.offset, " is not a multiple of ", kAlignment);
  if (const auto size = store_dtype_size(t.dtype)) {
    STRATA_CHECK_INPUT(elements * *size == t.length, source, ": ", named.path("length"), ": ",
                       t.length, " bytes, but shape and dtype ", t.dtype, " make ",
                       elements * *size);
  }
  return t;
}

}  // namespace

std::optional<size_t> store_dtype_size(std::string_view dtype) {
  if (dtype == "f32" || dtype == "i32") return 4;
  if (dtype == "f16" || dtype == "bf16") return 2;
  return std::nullopt;
}

bool is_known_store_quant(std::string_view quant) {
  if (quant == "none") return true;
  // w4gN / w8gN, N a multiple of 8 in [8, 8192] (quant/format.h; offload/ does not link quant).
  if (quant.size() < 4 || quant[0] != 'w' || (quant[1] != '4' && quant[1] != '8') ||
      quant[2] != 'g' || quant[3] == '0' || quant.size() > 7) {
    return false;
  }
  int group = 0;
  for (const char c : quant.substr(3)) {
    if (c < '0' || c > '9') return false;
    group = group * 10 + (c - '0');
  }
  return group >= 8 && group <= 8192 && group % 8 == 0;
}

std::string crc_hex(uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof(text), "%08x", crc);
  return text;
}

std::string StoreManifest::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << std::string(kFormatName);
  out << YAML::Key << "format_version" << YAML::Value << format_version;
  out << YAML::Key << "quant" << YAML::Value << quant;
  out << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : model) out << YAML::Key << key << YAML::Value << value;
  out << YAML::EndMap;
  // One flow mapping per line: greppable, and diff-friendly when a store is re-converted.
  out << YAML::Key << "files" << YAML::Value << YAML::BeginSeq;
  for (const StoreFile& f : files) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << f.name
        << YAML::Key << "bytes" << YAML::Value << f.bytes << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "side_files" << YAML::Value << YAML::BeginSeq;
  for (const StoreSideFile& f : side_files) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << f.name
        << YAML::Key << "length" << YAML::Value << f.length << YAML::Key << "crc32c"
        << YAML::Value << YAML::DoubleQuoted << crc_hex(f.crc32c) << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "tensors" << YAML::Value << YAML::BeginSeq;
  for (const StoreTensor& t : tensors) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << t.name;
    out << YAML::Key << "dtype" << YAML::Value << t.dtype;
    out << YAML::Key << "shape" << YAML::Value << YAML::Flow << t.shape;
    out << YAML::Key << "file" << YAML::Value << t.file;
    out << YAML::Key << "offset" << YAML::Value << t.offset;
    out << YAML::Key << "length" << YAML::Value << t.length;
    // Quoted: "12345678" would otherwise read back as an integer in other YAML readers.
    out << YAML::Key << "crc32c" << YAML::Value << YAML::DoubleQuoted << crc_hex(t.crc32c);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

StoreManifest StoreManifest::parse(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input(source, ": not valid YAML: ", e.what());
  }
  STRATA_CHECK_INPUT(root.IsMap(), source, ": expected a YAML mapping at the top level");
  const FieldReader top(root, source, "manifest");
  StoreManifest m;
  const std::string format = top.text("format");
  STRATA_CHECK_INPUT(format == kFormatName, source, ": format: '", format, "', expected '",
                     kFormatName, "'");
  m.format_version = int(top.u64("format_version"));
  STRATA_CHECK_INPUT(m.format_version == kFormatVersion, source, ": format_version ",
                     m.format_version, " is not the version this Strata reads (", kFormatVersion,
                     "); re-run strata convert");
  m.quant = top.text("quant");
  STRATA_CHECK_INPUT(is_known_store_quant(m.quant), source, ": quant: '", m.quant,
                     "' is not none, w4gN or w8gN (N: group size)");
  const YAML::Node model = root["model"];
  if (model.IsDefined() && !model.IsNull()) {
    STRATA_CHECK_INPUT(model.IsMap(), source, ": model: expected a mapping");
    for (const auto& kv : model) {
      STRATA_CHECK_INPUT(kv.second.IsScalar(), source, ": model.", kv.first.Scalar(),
                         ": expected a scalar");
      m.model.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
  }
  std::set<std::string> file_names;
  const YAML::Node files = sequence(root, "files", source);
  for (size_t i = 0; i < files.size(); ++i) {
    const FieldReader r(files[i], source, str_cat("files[", i, "]"));
    StoreFile f{r.text("name"), r.u64("bytes")};
    check_file_name(f.name, source, r.path("name"));
    STRATA_CHECK_INPUT(file_names.insert(f.name).second, source, ": ", r.path("name"), ": '",
                       f.name, "' is listed twice");
    m.files.push_back(std::move(f));
  }
  const YAML::Node sides = sequence(root, "side_files", source);
  for (size_t i = 0; i < sides.size(); ++i) {
    const FieldReader r(sides[i], source, str_cat("side_files[", i, "]"));
    StoreSideFile f{r.text("name"), r.u64("length"), r.crc("crc32c")};
    check_file_name(f.name, source, r.path("name"));
    m.side_files.push_back(std::move(f));
  }
  std::set<std::string> tensor_names;
  const YAML::Node tensors = sequence(root, "tensors", source);
  for (size_t i = 0; i < tensors.size(); ++i) {
    StoreTensor t = parse_tensor(tensors[i], i, source);
    STRATA_CHECK_INPUT(file_names.count(t.file) == 1, source, ": tensors[", i, "] (", t.name,
                       ").file: '", t.file, "' is not listed under files");
    STRATA_CHECK_INPUT(tensor_names.insert(t.name).second, source, ": tensors[", i,
                       "].name: '", t.name, "' appears twice");
    m.tensors.push_back(std::move(t));
  }
  return m;
}

}  // namespace strata
