"""Builds the allocation model: only calls the ``define_*`` functions, in order, then the hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimize.absorption import define_absorption
from optimize.investment import define_investment
from optimize.lateness import define_cumulative_arrivals, define_lateness
from optimize.lp import LinearProblem
from optimize.objective import define_draw_objective
from optimize.pools import define_floors, define_source_balance
from optimize.sets import ModelData
from optimize.variables import define_arrivals, define_inventory, define_late, define_shipments

__all__ = ["Hook", "Model", "build_model"]

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class Model:
    """The problem (``lp``) and the index arrays that map its columns back to the data."""

    data: ModelData
    lp: LinearProblem = field(default_factory=LinearProblem)
    ship_route: np.ndarray = field(default_factory=lambda: _EMPTY)
    ship_t: np.ndarray = field(default_factory=lambda: _EMPTY)
    ship_pool: np.ndarray = field(default_factory=lambda: _EMPTY)
    ship_c: np.ndarray = field(default_factory=lambda: _EMPTY)
    ship_arrival: np.ndarray = field(default_factory=lambda: _EMPTY)
    late_c: np.ndarray = field(default_factory=lambda: _EMPTY)
    late_t: np.ndarray = field(default_factory=lambda: _EMPTY)
    absorption_limit: np.ndarray = field(default_factory=lambda: _EMPTY)
    draw_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))


Hook = Callable[[Model, ModelData], None]
"""``extra_functionality(model, data)``: a scenario adds its own columns/rows to ``model.lp``."""


def build_model(data: ModelData, extra_functionality: Hook | None = None) -> Model:
    model = Model(data)
    define_shipments(model)
    define_inventory(model)
    define_arrivals(model)
    define_late(model)
    define_source_balance(model)
    define_floors(model)
    define_cumulative_arrivals(model)
    define_lateness(model)
    define_absorption(model)
    define_investment(model)
    define_draw_objective(model)
    if extra_functionality is not None:
        extra_functionality(model, data)
    return model
