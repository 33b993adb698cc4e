"""Builds the allocation model: only calls the ``define_*`` functions, in order, then the hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimize.absorption import define_absorption
from optimize.fairness import define_fair_shares
from optimize.firmed import define_firmed
from optimize.investment import define_investment
from optimize.lateness import define_cumulative_arrivals, define_lateness
from optimize.lp import LinearProblem
from optimize.objective import Stage, define_stages
from optimize.pools import (
    define_floors,
    define_partner_balance,
    define_readiness_rows,
    define_source_balance,
)
from optimize.production import (
    define_component_draws,
    define_make,
    define_production_capacity,
)
from optimize.reference import define_reference
from optimize.sets import ModelData
from optimize.variables import (
    define_arrivals,
    define_inventory,
    define_late,
    define_partner_stocks,
    define_readiness_gaps,
    define_shipments,
    define_sustainment,
)

__all__ = ["Hook", "Model", "build_model"]


def _ints() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _floats() -> np.ndarray:
    return np.zeros(0)


@dataclass
class Model:
    """The problem (``lp``) and the index arrays that map its columns back to the data."""

    data: ModelData
    lp: LinearProblem = field(default_factory=LinearProblem)
    ship_route: np.ndarray = field(default_factory=_ints)
    ship_t: np.ndarray = field(default_factory=_ints)
    ship_pool: np.ndarray = field(default_factory=_ints)
    ship_c: np.ndarray = field(default_factory=_ints)
    ship_arrival: np.ndarray = field(default_factory=_ints)
    sus_route: np.ndarray = field(default_factory=_ints)
    sus_t: np.ndarray = field(default_factory=_ints)
    sus_pool: np.ndarray = field(default_factory=_ints)
    sus_q: np.ndarray = field(default_factory=_ints)
    sus_arrival: np.ndarray = field(default_factory=_ints)
    late_c: np.ndarray = field(default_factory=_ints)
    late_t: np.ndarray = field(default_factory=_ints)
    gap_q: np.ndarray = field(default_factory=_ints)
    """Partner pools with a floor (their ``below_floor`` columns, H each)."""
    gap_pool: np.ndarray = field(default_factory=_ints)
    """US stock pools with a target (their ``below_target`` columns, H each)."""
    absorption_limit: np.ndarray = field(default_factory=_ints)
    fair_arrived: np.ndarray = field(default_factory=_ints)
    """The ``arrived`` column of each ``fair`` row."""
    fair_backlog: np.ndarray = field(default_factory=_floats)
    fair_c: np.ndarray = field(default_factory=_ints)
    fair_t: np.ndarray = field(default_factory=_ints)
    make_m: np.ndarray = field(default_factory=_ints)
    """The made line (row of ``data.made``) of each ``make`` column."""
    make_t: np.ndarray = field(default_factory=_ints)
    fair_lv: np.ndarray = field(default_factory=_ints)
    """The ``fair_level`` column (its group and month) of each ``fair`` row."""

    reference_cols: np.ndarray = field(default_factory=_ints)
    reference_units: np.ndarray = field(default_factory=_floats)
    reference_constant: float = 0.0
    stages: list[Stage] = field(default_factory=list)
    """The stages after the first (``objective.define_stages``)."""
    firm_stage: Stage | None = None
    """Stage 0, before lateness: firmed rows honoured (None: no firmed row takes part)."""
    firm_goal: np.ndarray = field(default_factory=_floats)
    """The units each ``firm`` row asks for (its right-hand side)."""


Hook = Callable[[Model, ModelData], None]
"""``extra_functionality(model, data)``: a scenario adds its own columns/rows to ``model.lp``."""


def build_model(data: ModelData, extra_functionality: Hook | None = None) -> Model:
    model = Model(data)
    define_shipments(model)
    define_sustainment(model)
    define_inventory(model)
    define_partner_stocks(model)
    define_arrivals(model)
    define_late(model)
    define_readiness_gaps(model)
    define_make(model)
    define_source_balance(model)
    define_production_capacity(model)
    define_component_draws(model)
    define_floors(model)
    define_partner_balance(model)
    define_readiness_rows(model)
    define_cumulative_arrivals(model)
    define_lateness(model)
    define_firmed(model)
    define_absorption(model)
    define_investment(model)
    define_fair_shares(model)
    define_reference(model)
    define_stages(model)
    if extra_functionality is not None:
        extra_functionality(model, data)
    return model
