#include "chat_test_support.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace strata::chat::testing {

std::filesystem::path source_dir() { return STRATA_SOURCE_DIR; }
std::filesystem::path data_dir() { return source_dir() / "tests" / "data" / "chat"; }

std::filesystem::path npm_modules_dir() {
  if (const char* env = std::getenv("STRATA_NPM_MODULES"); env && *env) return env;
  return source_dir() / "tests" / "reference" / "node_modules";
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json read_json_file(const std::filesystem::path& path) {
  return nlohmann::ordered_json::parse(read_text_file(path));
}

nlohmann::ordered_json jinja2_reference(const nlohmann::ordered_json& request) {
  char name[] = "/tmp/strata_chat_reference_XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  const std::string body = request.dump();
  REQUIRE(write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
  close(fd);
  const std::string script = (source_dir() / "tests" / "reference" / "chat_template_reference.py").string();
  const std::string cmd = std::string(STRATA_PYTHON_EXE) + " '" + script + "' '" + name + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  std::remove(name);
  INFO("reference command: " << cmd);
  REQUIRE(status == 0);
  auto result = nlohmann::ordered_json::parse(out);
  REQUIRE(result.is_array());
  return result;
}

std::string describe_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return {};
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  auto around = [&](const std::string& s) {
    const size_t b = i < 40 ? 0 : i - 40;
    return nlohmann::json(s.substr(b, 80)).dump();
  };
  std::ostringstream out;
  out << "first difference at byte " << i << " (lengths " << expected.size() << " vs " << actual.size()
      << ")\n  jinja2: " << around(expected) << "\n  strata: " << around(actual);
  return out.str();
}

void skip_test(const std::string& why) {
  std::cerr << "SKIPPED: " << why << std::endl;
  std::exit(77);
}

}  // namespace strata::chat::testing
