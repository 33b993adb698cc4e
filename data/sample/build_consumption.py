"""Build ``consumption.csv`` for the sample data set (deterministic).

Run from anywhere: ``python data/sample/build_consumption.py``. It rewrites
``consumption.csv`` next to this file and nothing else.

Every series runs 2022-11 .. 2026-10 (48 months), so the last history month
is 2026-10 for all of them and the plan starts 2026-11.

* Continuous series (UKR 155mm, US training 155mm) are anchor points taken
  from public figures (see SOURCES.md), linearly interpolated month by month,
  times a small multiplicative noise.
* Intermittent series (missiles) are months that are either zero or a small
  burst, drawn with a fixed probability and size range.

Randomness uses ``random.Random(<series name>)``: a string seed is hashed with
SHA-512 by Python, so the output is identical on every run and machine.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

FIRST = "2022-11"
LAST = "2026-10"
OUT = Path(__file__).with_name("consumption.csv")


def month_range(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTHS = month_range(FIRST, LAST)

# Ukraine, 155mm rounds fired per month. Anchors (month, rounds); see SOURCES.md
# "consumption.csv" for the source and the conversion of each anchor.
UKR_155_ANCHORS = [
    ("2022-11", 90_000),  # assumed: ~4,500/day all calibres x 30.4 x 155mm share 0.66
    ("2023-03", 110_000),  # Reznikov letter (FT), ~110,000/month 155mm
    ("2023-08", 110_000),  # assumed: spring rate held through the summer offensive
    ("2023-12", 70_000),  # assumed: decline as US supply lapsed (Oct 2023 - Apr 2024)
    ("2024-01", 40_000),  # ~2,000/day all calibres (Jan-Mar 2024) x 30.4 x 0.66
    ("2024-03", 40_000),  # same figure, end of the low
    ("2024-06", 60_000),  # assumed: recovery after the US supplemental (Apr 2024)
    ("2024-09", 80_000),  # assumed: Czech-initiative deliveries 80-100k/month Sep-Dec 2024
    ("2025-01", 75_000),  # assumed: supply-limited plateau 2025-2026 (no public rate)
    ("2026-10", 75_000),
]

# US Army training, 155mm: ~100,000 rounds/yr (Cancian, CSIS) = 8,333/month.
US_TRAINING_155 = [("2022-11", 8_333), ("2026-10", 8_333)]


def interpolate(anchors: list[tuple[str, int]]) -> dict[str, float]:
    idx = {m: i for i, m in enumerate(MONTHS)}
    points = [(idx[m], v) for m, v in anchors]
    out = {}
    for (i0, v0), (i1, v1) in zip(points, points[1:], strict=False):
        for i in range(i0, i1 + 1):
            t = 0.0 if i1 == i0 else (i - i0) / (i1 - i0)
            out[MONTHS[i]] = v0 + t * (v1 - v0)
    return out


def continuous(name: str, anchors: list[tuple[str, int]], noise: float) -> dict[str, int]:
    rng = random.Random(name)
    base = interpolate(anchors)
    return {m: max(0, round(base[m] * (1 + rng.uniform(-noise, noise)))) for m in MONTHS}


def intermittent(
    name: str,
    start: str,
    p_by_month: dict[int, float],
    p_default: float,
    size: tuple[int, int],
    later: tuple[str, tuple[int, int], float] | None = None,
) -> dict[str, int]:
    """Zero or a burst each month from ``start``; ``p_by_month`` overrides by calendar month.

    ``later`` = (month, size range, probability) switches to a smaller pattern from that month.
    """
    rng = random.Random(name)
    out = {}
    for m in MONTHS:
        lo, hi = size
        p = p_by_month.get(int(m[5:]), p_default)
        if later is not None and m >= later[0]:
            (lo, hi), p = later[1], later[2]
        draw = rng.random()
        amount = rng.randint(lo, hi)
        out[m] = amount if (m >= start and draw < p) else 0
    return out


WINTER = {12: 0.85, 1: 0.85, 2: 0.85, 3: 0.75}  # winter strike campaigns (assumed)


def series() -> dict[tuple[str, str], dict[str, int]]:
    return {
        ("UKR", "155MM"): continuous("UKR-155MM", UKR_155_ANCHORS, 0.06),
        ("US_DEPOT", "155MM"): continuous("US_DEPOT-155MM", US_TRAINING_155, 0.10),
        # Patriot in Ukraine from 2023-05 (assumed start); bursts of 2-12 interceptors.
        ("UKR", "PAC3MSE"): intermittent("UKR-PAC3MSE", "2023-05", WINTER, 0.40, (2, 12)),
        # Stinger: frequent small use early, sparser from 2024 as stocks ran down (assumed).
        ("UKR", "STINGER"): intermittent(
            "UKR-STINGER", "2022-11", {}, 0.75, (10, 45), later=("2024-01", (5, 25), 0.5)
        ),
        # Javelin: heavy in 2022-23, sparser later (assumed).
        ("UKR", "JAVELIN"): intermittent(
            "UKR-JAVELIN", "2022-11", {}, 0.80, (40, 120), later=("2024-01", (10, 50), 0.5)
        ),
        # Taiwan Stinger: live fire only in July (Han Kuang exercise season), 2-6 rounds (assumed).
        ("TWN", "STINGER"): intermittent("TWN-STINGER", "2022-11", {7: 0.9}, 0.0, (2, 6)),
    }


def main() -> None:
    rows = []
    for (holder, item), values in series().items():
        for m in MONTHS:
            rows.append((holder, item, m, values[m]))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["holder_id", "item_id", "month", "units"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
