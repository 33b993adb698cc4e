"""The defaults every stage shares, declared once (DESIGN.md: the allocation model).

``DEFAULT_PATHS``: simulated consumption paths per stock in a projection. 500 keeps the
nightly run and ``arsenal run`` at their measured cost; ``arsenal project`` used 1,000
before the defaults were unified (a P10/P50/P90 month moves by at most one month between
the two on the sample).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_PATHS",
    "DEFAULT_SEED",
    "DEFAULT_US_TARGET_WEIGHT",
    "WHATIF_SAMPLES",
]

DEFAULT_HORIZON = 36
"""Plan months when none are given."""
DEFAULT_PATHS = 500
DEFAULT_SEED = 0
DEFAULT_US_TARGET_WEIGHT = 1.0
"""W: US stock pools below target against partner stocks below floor in the readiness stage."""
WHATIF_SAMPLES = 200
"""Futures a what-if's promise odds are drawn from on the dashboard (``arsenal serve``)."""
