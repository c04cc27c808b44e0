// Helpers shared by the engine and CLI unit tests: seeded random inputs, a ranking of logits, a
// float64 normalized error, f16/bf16 encoding, a self-removing temporary folder, and writers for
// small files.
//
// Namespace strata::ut (not strata::test) so these never collide with the tokenizer fixture's
// helpers of the same names in another translation unit of the same test executable.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/core/dtype.h"
#include "engine/core/half.h"

namespace strata::ut {

// Normal(mean, stddev) floats.
inline std::vector<float> random_floats(std::mt19937& rng, size_t n, float stddev = 1.0f,
                                        float mean = 0.0f) {
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Encodes v as f16 or bf16; `decoded` receives the values the stored elements stand for.
inline std::vector<uint16_t> encode16(const std::vector<float>& v, DType dt,
                                      std::vector<double>& decoded) {
  std::vector<uint16_t> out(v.size());
  decoded.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = dt == DType::f16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
    decoded[i] = dt == DType::f16 ? f16_to_f32(out[i]) : bf16_to_f32(out[i]);
  }
  return out;
}

inline int64_t random_int(std::mt19937& rng, int64_t lo, int64_t hi) {  // [lo, hi]
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Token ids by logit, best first, equal logits by lower id (a stable sort).
inline std::vector<int32_t> ranked_by_logit(const std::vector<float>& logits) {
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
  return order;
}

// ||actual - expected||_2 / ||expected||_2, in double (absolute when expected is all zero).
template <typename A>
double normalized_error(const A& actual, const std::vector<double>& expected) {
  double diff = 0.0, norm = 0.0;
  size_t i = 0;
  for (const auto& a : actual) {
    const double d = double(a) - expected[i];
    diff += d * d;
    norm += expected[i] * expected[i];
    ++i;
  }
  if (i != expected.size()) return INFINITY;  // a size mismatch is never "close"
  return norm == 0.0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("strata_ut_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), std::streamsize(content.size()));
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of the InputError that `action` throws, or "(no InputError)".
inline std::string input_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace strata::ut
