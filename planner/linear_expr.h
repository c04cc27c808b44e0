// LinearExpr: constant + sum of coefficients times the nine placement fractions
// (weights, cache, activations) x (device, host, disk). Every time and memory term of the cost
// model is one of these for a fixed batch shape, which is what makes the planner an LP.
#pragma once

#include <array>

#include "common/policy.h"

namespace strata {

constexpr int kNumFractions = 9;

// Column of fraction (kind, tier): kind-major, tier-minor.
constexpr int fraction_index(DataKind kind, Tier tier) {
  return 3 * static_cast<int>(kind) + static_cast<int>(tier);
}

struct LinearExpr {
  double constant = 0.0;
  std::array<double, kNumFractions> coef{};

  LinearExpr& add(double c) {
    constant += c;
    return *this;
  }
  LinearExpr& add(DataKind kind, Tier tier, double c) {
    coef[fraction_index(kind, tier)] += c;
    return *this;
  }
  // c times the share of `kind` not homed on the device (host + disk).
  LinearExpr& add_off_device(DataKind kind, double c) {
    return add(kind, Tier::kHost, c).add(kind, Tier::kDisk, c);
  }
  LinearExpr& operator+=(const LinearExpr& o) {
    constant += o.constant;
    for (int i = 0; i < kNumFractions; ++i) coef[i] += o.coef[i];
    return *this;
  }
  LinearExpr scaled(double s) const {
    LinearExpr r = *this;
    r.constant *= s;
    for (double& c : r.coef) c *= s;
    return r;
  }
  // Value at the fractions of `policy`.
  double at(const Policy& policy) const {
    double v = constant;
    for (DataKind kind : {DataKind::kWeights, DataKind::kCache, DataKind::kActivations}) {
      for (Tier tier : {Tier::kDevice, Tier::kHost, Tier::kDisk}) {
        v += coef[fraction_index(kind, tier)] * fraction(placement(policy, kind), tier);
      }
    }
    return v;
  }
};

}  // namespace strata
