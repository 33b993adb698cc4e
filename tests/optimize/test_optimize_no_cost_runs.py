"""A run with no cost on the model keeps the last plan while that plan still meets every bound
(``_Highs.holds``): HiGHS is not called, and the answer is what HiGHS gives from that basis.
A bound set since that cuts the plan makes HiGHS run again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from optimize.solve import _Clock, _Highs


class _Counted:
    """HiGHS itself, with its ``run`` calls counted."""

    def __init__(self, h: Any):
        self._h = h
        self.runs = 0

    def run(self) -> Any:
        self.runs += 1
        return self._h.run()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._h, name)


def _runner() -> tuple[_Highs, _Counted]:
    """min x0 + 2 x1 over x0 + x1 >= 2, x0 - x1 <= 1, 0 <= x <= 5 (optimum x = (1.5, 0.5))."""
    lp = SimpleNamespace(
        num_col=2,
        num_row=2,
        col_cost=np.array([1.0, 2.0]),
        col_lower=np.zeros(2),
        col_upper=np.full(2, 5.0),
        row_lower=np.array([2.0, -np.inf]),
        row_upper=np.array([np.inf, 1.0]),
        integrality=np.zeros(2, dtype=np.int32),
        col_name=lambda j: f"x{j}",
        row_name=lambda i: f"r{i}",
    )
    # column-wise: x0 in rows 0 (1) and 1 (1); x1 in rows 0 (1) and 1 (-1)
    start = np.array([0, 2, 4])
    index = np.array([0, 1, 0, 1])
    value = np.array([1.0, 1.0, 1.0, -1.0])
    runner = _Highs(SimpleNamespace(lp=lp), start, index, value)
    counted = _Counted(runner.h)
    runner.h = counted
    return runner, counted


def _run(runner: _Highs) -> tuple[np.ndarray, float]:
    return runner.run(_Clock(None), "test")


def test_no_cost_keeps_the_plan_that_still_holds_without_running_highs() -> None:
    runner, counted = _runner()
    x, obj = _run(runner)
    np.testing.assert_allclose(x, [1.5, 0.5], atol=1e-9)
    assert obj == pytest.approx(2.5)
    assert counted.runs == 1
    # bounds the plan meets: x0 fixed where it is, a row's bound at its activity, a guard row
    runner.set_col_bounds(np.array([0]), np.array([1.5]), np.array([1.5]))
    runner.add_objective_bound(np.array([1.0, 2.0]), 2.5 + 1e-9, "guard")
    runner.free_rows(np.array([1]))
    runner.set_cost(np.zeros(2))
    kept, obj = _run(runner)
    assert counted.runs == 1
    assert obj == 0.0
    assert runner.iterations == 0
    np.testing.assert_array_equal(kept, x)
    assert not runner.duals().any()
    # HiGHS from the same basis gives the same plan, with zero duals
    runner.holds = False
    again, _ = _run(runner)
    assert counted.runs == 2
    np.testing.assert_allclose(again, kept, atol=1e-9)
    np.testing.assert_allclose(runner.duals(), 0.0, atol=1e-12)


@pytest.mark.parametrize("cut", ["column", "guard", "cap", "integer"])
def test_a_bound_that_cuts_the_plan_runs_highs_again(cut: str) -> None:
    runner, counted = _runner()
    _run(runner)
    if cut == "column":
        runner.set_col_bounds(np.array([1]), np.array([1.0]), np.array([5.0]))
    elif cut == "guard":
        runner.add_objective_bound(np.array([1.0, 0.0]), 1.25, "guard")
    elif cut == "cap":
        runner.add_objective_bound(np.array([1.0, 0.0]), 2.0, "cap")
        runner.set_bound("cap", 1.25)
    else:
        runner.set_bounds(np.array([0]), 0.0, 5.0, integer=True)
    runner.set_cost(np.zeros(2))
    x, _ = _run(runner)
    assert counted.runs == 2
    assert x[0] + x[1] >= 2 - 1e-9
    assert x[0] - x[1] <= 1 + 1e-9
    if cut == "column":
        assert x[1] >= 1 - 1e-9
    elif cut in ("guard", "cap"):
        assert x[0] <= 1.25 + 1e-9


def test_a_cost_keeps_highs_running_and_afresh_always_does() -> None:
    runner, counted = _runner()
    _run(runner)
    _run(runner)
    assert counted.runs == 2
    runner.set_cost(np.zeros(2))
    runner.run(_Clock(None), "test", afresh=True)
    assert counted.runs == 3


def test_a_cost_met_at_the_bounds_keeps_the_plan_and_one_that_is_not_runs_highs() -> None:
    runner, counted = _runner()
    x, _ = _run(runner)
    # x1 may not fall below where it is: a cost on it pushes it to a bound it is at
    runner.set_col_bounds(np.array([1]), np.array([0.5]), np.array([5.0]))
    runner.set_cost(np.array([0.0, 3.0]))
    kept, obj = _run(runner)
    assert counted.runs == 1
    np.testing.assert_array_equal(kept, x)
    assert obj == pytest.approx(1.5)
    np.testing.assert_array_equal(runner.vector("col_dual"), [0.0, 3.0])
    # the optimal face: the costed column stays fixed where it is
    runner.fix_optimal_face(None)  # type: ignore[arg-type]
    assert runner.lower[1] == runner.upper[1] == pytest.approx(0.5)
    # pushed up instead: x1 is not at its upper bound, so HiGHS runs and moves it there
    runner.set_col_bounds(np.array([1]), np.array([0.5]), np.array([5.0]))
    runner.set_cost(np.array([0.0, -1.0]))
    moved, obj = _run(runner)
    assert counted.runs == 2
    assert moved[1] == pytest.approx(5.0)
    assert obj == pytest.approx(-5.0)
