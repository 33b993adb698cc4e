"""What-if scenarios: TOML files of overrides applied to a copy of the baseline data."""

from pipeline.scenarios.apply import (
    BASELINE,
    Applied,
    DemandChange,
    RouteBlock,
    apply_chain,
    apply_demand,
    apply_scenario,
    read_scenarios,
    resolve_chain,
)
from pipeline.scenarios.spec import KINDS, Override, Scenario, read_scenario

__all__ = [
    "BASELINE",
    "KINDS",
    "Applied",
    "DemandChange",
    "Override",
    "RouteBlock",
    "Scenario",
    "apply_chain",
    "apply_demand",
    "apply_scenario",
    "read_scenario",
    "read_scenarios",
    "resolve_chain",
]
