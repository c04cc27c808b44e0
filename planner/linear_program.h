// LinearProgram: a minimal owner of a GLPK problem (glp_prob) for the planner's small LPs.
// Columns and rows are 1-based as in GLPK. The problem is freed in the destructor; GLPK's
// terminal output is switched off so the library prints nothing. glpk.h stays in the .cpp.
#pragma once

#include <utility>
#include <vector>

struct glp_prob;  // glpk.h: typedef struct glp_prob glp_prob;

namespace strata {

class LinearProgram {
 public:
  using Terms = std::vector<std::pair<int, double>>;  // (column, coefficient)
  enum class Status { kOptimal, kInfeasible };

  LinearProgram();
  ~LinearProgram();
  LinearProgram(const LinearProgram&) = delete;
  LinearProgram& operator=(const LinearProgram&) = delete;

  // A column with bounds [lower, upper] (lower == upper fixes it) and objective coefficient.
  int add_column(double lower, double upper, double objective);
  void set_objective(int column, double coefficient);
  // sum(terms) >= lower, <= upper, or == value.
  void add_row_at_least(const Terms& terms, double lower);
  void add_row_at_most(const Terms& terms, double upper);
  void add_row_equal(const Terms& terms, double value);

  // Minimises the objective with the primal simplex (presolved, scaled). Unboundedness or a
  // solver failure is a bug here (every planner LP is bounded) and throws strata::Error.
  Status minimize();
  double value(int column) const;
  double objective() const;

 private:
  void add_row(const Terms& terms, int type, double lower, double upper);
  glp_prob* lp_;
};

}  // namespace strata
