"""Build ``consumption.csv`` for the sample data set (deterministic).

Run from anywhere: ``python data/sample/build_consumption.py``. It rewrites
``consumption.csv`` next to this file and nothing else (it reads ``stockpiles.csv``,
``commitments.csv`` and ``deliveries.csv`` to size the early-war missile series, below).

Every series ends in 2026-10, so the last history month is 2026-10 for all of them and the
plan starts 2026-11. Ukraine's series start with the war (2022-03), the US training series
the month after the first US depot count (2022-02), Taiwan's in 2022-11: each runs from the
month after its holder's first stock count, so ``arsenal reconcile`` can check it.

* Continuous series (UKR 155mm, US training 155mm) are anchor points taken
  from public figures (see SOURCES.md), linearly interpolated month by month,
  times a small multiplicative noise.
* Intermittent series (missiles) are months that are either zero or a small
  burst, drawn with a fixed probability and size range, from 2022-11.
* Early-war missile use (UKR Javelin and Stinger, 2022-03 .. 2022-10) is not public. It is
  **sized**: the count before the war plus every recorded delivery, less the later recorded
  use and the 2026-10 count, spread over the months in proportion to what arrived in each
  (Ukraine fired these as fast as they came in). SOURCES.md ("Reconciliation") names it as
  the balancing item of those two series.

Randomness uses ``random.Random(<series name>)``: a string seed is hashed with
SHA-512 by Python, so the output is identical on every run and machine.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

WAR = "2022-03"  # first month of the war (invasion 2022-02-24)
US_FIRST = "2022-02"  # the month after the first US depot count (2022-01-31)
FIRST = "2022-11"  # first month of the recorded missile-use patterns
LAST = "2026-10"
HERE = Path(__file__).parent
OUT = HERE / "consumption.csv"


def month_range(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTHS = month_range(FIRST, LAST)
EARLY = month_range(WAR, "2022-10")

# Ukraine, 155mm rounds fired per month. Anchors (month, rounds); see SOURCES.md
# "consumption.csv" for the source and the conversion of each anchor.
UKR_155_ANCHORS = [
    ("2022-03", 0),  # no 155mm guns before the war; the first M777s arrived late April 2022
    ("2022-04", 0),
    ("2022-11", 90_000),  # assumed: ~4,500/day all calibres x 30.4 x 155mm share 0.66
    ("2023-03", 110_000),  # Reznikov letter (FT), ~110,000/month 155mm
    ("2023-07", 200_000),  # summer offensive: "as many as 8,000 155mm a day" at its height (B)
    ("2023-10", 150_000),  # Cancian (Oct 2023): 150,000-300,000 a month; the low end
    ("2023-12", 70_000),  # assumed: decline as US supply lapsed (Oct 2023 - Apr 2024)
    ("2024-01", 40_000),  # ~2,000/day all calibres (Jan-Mar 2024) x 30.4 x 0.66
    ("2024-03", 40_000),  # same figure, end of the low
    ("2024-06", 60_000),  # assumed: recovery after the US supplemental (Apr 2024)
    ("2024-09", 150_000),  # Syrskyi, Aug 2024: ~14,600 a day, all types (A); a third 155mm
    ("2025-06", 150_000),  # assumed: the 2024 rate held while Czech and US deliveries lasted
    ("2025-09", 90_000),  # assumed: lower once the itemised deliveries end (no public rate)
    ("2026-10", 90_000),
]

# US Army training, 155mm: ~100,000 rounds/yr (Cancian, CSIS) = 8,333/month.
US_TRAINING_155 = [(US_FIRST, 8_333), ("2026-10", 8_333)]


def interpolate(anchors: list[tuple[str, int]]) -> dict[str, float]:
    span = month_range(anchors[0][0], anchors[-1][0])
    idx = {m: i for i, m in enumerate(span)}
    points = [(idx[m], v) for m, v in anchors]
    out = {}
    for (i0, v0), (i1, v1) in zip(points, points[1:], strict=False):
        for i in range(i0, i1 + 1):
            t = 0.0 if i1 == i0 else (i - i0) / (i1 - i0)
            out[span[i]] = v0 + t * (v1 - v0)
    return out


def continuous(name: str, anchors: list[tuple[str, int]], noise: float) -> dict[str, int]:
    """Interpolated anchors times noise, over the anchors' own months."""
    rng = random.Random(name)
    base = interpolate(anchors)
    return {m: max(0, round(v * (1 + rng.uniform(-noise, noise)))) for m, v in base.items()}


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


def _read(name: str) -> list[dict[str, str]]:
    with (HERE / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def early_war(holder: str, item: str, later: dict[str, int]) -> dict[str, int]:
    """Use in 2022-03 .. 2022-10, sized to close the holder's balance between its first and its
    last stock count (see the module docstring), spread in proportion to monthly arrivals."""
    counts = sorted(
        (r["as_of"], float(r["units"]))
        for r in _read("stockpiles")
        if r["holder_id"] == holder and r["item_id"] == item
    )
    (first_day, before), (last_day, after) = counts[0], counts[-1]
    mine = {
        r["commitment_id"]
        for r in _read("commitments")
        if r["partner_id"] == holder and r["item_id"] == item
    }
    arrived: dict[str, float] = defaultdict(float)
    for r in _read("deliveries"):
        if r["commitment_id"] in mine and first_day[:7] < r["month"] <= last_day[:7]:
            arrived[r["month"]] += float(r["units"])
    total = round(before + sum(arrived.values()) - sum(later.values()) - after)
    weights = [arrived[m] + (before if m == EARLY[0] else 0.0) for m in EARLY]
    shares = [total * w / sum(weights) for w in weights]
    out = {m: int(x) for m, x in zip(EARLY, shares, strict=True)}
    # largest remainders take the units lost to rounding down, so the total is exact
    by_rest = sorted(EARLY, key=lambda m: shares[EARLY.index(m)] - out[m], reverse=True)
    for m in by_rest[: total - sum(out.values())]:
        out[m] += 1
    return out


def series() -> dict[tuple[str, str], dict[str, int]]:
    pac3 = intermittent("UKR-PAC3MSE", "2023-05", WINTER, 0.40, (2, 12))
    # Stinger: frequent small use, sparser from 2024 as stocks ran down (assumed).
    stinger = intermittent(
        "UKR-STINGER", "2022-11", {}, 0.75, (10, 45), later=("2024-01", (5, 25), 0.5)
    )
    # Javelin: heavy in 2022-23, sparser later (assumed).
    javelin = intermittent(
        "UKR-JAVELIN", "2022-11", {}, 0.80, (40, 120), later=("2024-01", (10, 50), 0.5)
    )
    return {
        ("UKR", "155MM"): continuous("UKR-155MM", UKR_155_ANCHORS, 0.06),
        ("US_DEPOT", "155MM"): continuous("US_DEPOT-155MM", US_TRAINING_155, 0.10),
        # Patriot in Ukraine from 2023-05 (assumed start); bursts of 2-12 interceptors.
        ("UKR", "PAC3MSE"): {**dict.fromkeys(EARLY, 0), **pac3},
        ("UKR", "STINGER"): {**early_war("UKR", "STINGER", stinger), **stinger},
        ("UKR", "JAVELIN"): {**early_war("UKR", "JAVELIN", javelin), **javelin},
        # Taiwan Stinger: live fire only in July (Han Kuang exercise season), 2-6 rounds (assumed).
        ("TWN", "STINGER"): intermittent("TWN-STINGER", "2022-11", {7: 0.9}, 0.0, (2, 6)),
    }


def main() -> None:
    rows = []
    for (holder, item), values in series().items():
        for m in sorted(values):
            rows.append((holder, item, m, values[m]))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["holder_id", "item_id", "month", "units"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
