"""Seeded synthetic consumption series with known generating processes (tests and bench).

Kinds: ``level`` (noise around a level), ``trend`` (a linear trend), ``seasonal`` (a
12-month cycle, some with a trend), ``regime`` (a level that jumps once), and
``intermittent`` (Bernoulli months of Poisson-sized demand). All values are >= 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KINDS", "generate_series"]

KINDS = ("level", "trend", "seasonal", "regime", "intermittent")


def _one(kind: str, months: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(months, dtype=float)
    base = rng.uniform(200, 2000)
    noise = rng.normal(0, base * rng.uniform(0.05, 0.15), months)
    if kind == "level":
        y = base + noise
    elif kind == "trend":
        y = base + base * rng.uniform(0.002, 0.01) * t * rng.choice([-1, 1]) + noise
    elif kind == "seasonal":
        amp = base * rng.uniform(0.2, 0.5)
        slope = base * rng.uniform(0.0, 0.004)
        y = base + slope * t + amp * np.sin(2 * np.pi * (t + rng.integers(12)) / 12) + noise
    elif kind == "regime":
        jump = rng.integers(months // 3, 2 * months // 3)
        y = base + base * rng.uniform(0.3, 0.8) * (t >= jump) + noise
    elif kind == "intermittent":
        p = rng.uniform(0.1, 0.4)
        y = (rng.random(months) < p) * rng.poisson(rng.uniform(5, 50), months)
    else:
        raise ValueError(kind)
    return np.maximum(np.round(y, 1), 0.0)


def generate_series(
    n: int, months: int = 120, *, intermittent_share: float = 0.2, seed: int = 0
) -> list[tuple[str, np.ndarray]]:
    """``n`` (kind, series) pairs: ``intermittent_share`` intermittent, the rest spread
    evenly over the other kinds."""
    rng = np.random.default_rng(seed)
    n_int = round(n * intermittent_share)
    regular = [k for k in KINDS if k != "intermittent"]
    kinds = ["intermittent"] * n_int + [regular[i % len(regular)] for i in range(n - n_int)]
    return [(k, _one(k, months, rng)) for k in kinds]
