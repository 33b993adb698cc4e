"""What-if scenarios: TOML files of overrides applied to a copy of the baseline data.

``kinds.py`` declares the override kinds (fields, id checks, apply function, form); ``spec.py``
reads a file by them, ``chain.py`` applies a scenario and its bases, ``apply.py`` holds the
apply functions, ``hook.py`` the plan's hook for route blocks that start later.
"""

from pipeline.scenarios.apply import BASELINE, Applied, DemandChange, RouteBlock, apply_demand
from pipeline.scenarios.chain import apply_chain, apply_scenario, read_scenarios, resolve_chain
from pipeline.scenarios.fields import Override, Scenario
from pipeline.scenarios.kinds import KINDS, OverrideKind
from pipeline.scenarios.spec import read_scenario

__all__ = [
    "BASELINE",
    "KINDS",
    "Applied",
    "DemandChange",
    "Override",
    "OverrideKind",
    "RouteBlock",
    "Scenario",
    "apply_chain",
    "apply_demand",
    "apply_scenario",
    "read_scenario",
    "read_scenarios",
    "resolve_chain",
]
