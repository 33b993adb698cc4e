"""The allocation model: who gets what, from where, when; which promises are late and why."""

from optimize.api import allocate, plan_to_json
from optimize.checker import check_plan
from optimize.results import Plan
from optimize.solve import SOLVERS, SolveError

__all__ = ["SOLVERS", "Plan", "SolveError", "allocate", "check_plan", "plan_to_json"]
