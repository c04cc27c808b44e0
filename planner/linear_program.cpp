#include "planner/linear_program.h"

#include <glpk.h>

#include "common/error.h"

namespace strata {

LinearProgram::LinearProgram() : lp_(glp_create_prob()) {
  glp_term_out(GLP_OFF);
  glp_set_obj_dir(lp_, GLP_MIN);
}

LinearProgram::~LinearProgram() { glp_delete_prob(lp_); }

int LinearProgram::add_column(double lower, double upper, double objective) {
  const int col = glp_add_cols(lp_, 1);
  glp_set_col_bnds(lp_, col, lower == upper ? GLP_FX : GLP_DB, lower, upper);
  glp_set_obj_coef(lp_, col, objective);
  return col;
}

void LinearProgram::set_objective(int column, double coefficient) {
  glp_set_obj_coef(lp_, column, coefficient);
}

void LinearProgram::add_row(const Terms& terms, int type, double lower, double upper) {
  const int row = glp_add_rows(lp_, 1);
  glp_set_row_bnds(lp_, row, type, lower, upper);
  // GLPK arrays are 1-based; index 0 is ignored. Zero coefficients are dropped, as GLPK rejects
  // duplicate columns but not zeros, and smaller rows solve faster.
  std::vector<int> cols{0};
  std::vector<double> vals{0.0};
  for (const auto& [col, coef] : terms) {
    STRATA_CHECK(col >= 1 && col <= glp_get_num_cols(lp_), "LP column ", col, " out of range");
    if (coef == 0.0) continue;
    cols.push_back(col);
    vals.push_back(coef);
  }
  glp_set_mat_row(lp_, row, static_cast<int>(cols.size()) - 1, cols.data(), vals.data());
}

void LinearProgram::add_row_at_least(const Terms& terms, double lower) {
  add_row(terms, GLP_LO, lower, 0.0);
}

void LinearProgram::add_row_at_most(const Terms& terms, double upper) {
  add_row(terms, GLP_UP, 0.0, upper);
}

void LinearProgram::add_row_equal(const Terms& terms, double value) {
  add_row(terms, GLP_FX, value, value);
}

LinearProgram::Status LinearProgram::minimize() {
  glp_scale_prob(lp_, GLP_SF_AUTO);
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_ON;
  const int rc = glp_simplex(lp_, &parm);
  if (rc == GLP_ENOPFS) return Status::kInfeasible;  // presolver proved no feasible point
  STRATA_CHECK(rc == 0, "glp_simplex failed with code ", rc);
  const int status = glp_get_status(lp_);
  if (status == GLP_NOFEAS || status == GLP_INFEAS) return Status::kInfeasible;
  STRATA_CHECK(status == GLP_OPT, "LP not solved to optimality, GLPK status ", status);
  return Status::kOptimal;
}

double LinearProgram::value(int column) const { return glp_get_col_prim(lp_, column); }

double LinearProgram::objective() const { return glp_get_obj_val(lp_); }

}  // namespace strata
